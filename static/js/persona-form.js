// The persona form: show the consent phrase only for a clip that may be a person's voice.
// Without this script the phrase is always shown, and the server decides (personas.services).
(() => {
  "use strict";

  function update(form) {
    const select = form.querySelector("select[name=clip]");
    const fieldset = form.querySelector("[data-voice-check]");
    if (!select || !fieldset) return;
    const option = select.selectedOptions[0];
    // Until a clip is chosen, say what a real voice needs.
    fieldset.hidden = Boolean(option && option.value && !option.hasAttribute("data-needs-voice-check"));
  }

  // A short tune to sing the phrase to: do re mi fa sol, back down, on a soft triangle wave.
  const TUNE = [[60, 0.4], [62, 0.4], [64, 0.4], [65, 0.4], [67, 0.8], [65, 0.4], [64, 0.4], [62, 0.4], [60, 0.8]];

  function playTune() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    const context = new Context();
    let at = context.currentTime + 0.05;
    for (const [midi, seconds] of TUNE) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "triangle";
      oscillator.frequency.value = 440 * 2 ** ((midi - 69) / 12);
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(0.25, at + 0.03);
      gain.gain.linearRampToValueAtTime(0, at + seconds - 0.02);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + seconds);
      at += seconds;
    }
    setTimeout(() => context.close().catch(() => {}), (at - context.currentTime + 0.5) * 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-play-tune]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", playTune);
    });
    document.querySelectorAll("form[data-persona-form]").forEach((form) => {
      update(form);
      form.addEventListener("change", (event) => { if (event.target.name === "clip") update(form); });
    });
  });
})();
