// A region of a clip (clip page): drag on the waveform or type start/end seconds; both stay in step.
// The region fills vocal_start_s/vocal_end_s of every form[data-region-form] ("persona", "separation")
// and is checked before those forms are sent: too short blocks, mostly silent asks for a second click.
// Progressive: without this script the panel stays hidden and both forms use the whole clip.
(() => {
  "use strict";

  // Django's JavaScript catalog (base.html loads it first); called by these names so makemessages finds them.
  const gettext = window.gettext || ((text) => text);
  const interpolate = window.interpolate
    || ((format, values) => format.replace(/%\((\w+)\)s/g, (_, name) => String(values[name])));

  const QUIET_SHARE = 0.5; // more than half the peak bins quiet: "mostly silent"
  const QUIET_FLOOR = 0.01; // a peak below this is silence whatever the recording's level
  const QUIET_RELATIVE = 0.08; // ...and so is one below 8 % of the clip's loudest peak
  const REGION_COLOR = "rgba(1, 114, 173, 0.28)";

  /** 72.46 -> "1:12.5" (tenths: a region is set to a tenth of a second). */
  const clock = (seconds) => {
    const tenths = Math.max(0, Math.round(seconds * 10));
    const minutes = Math.floor(tenths / 600);
    const rest = tenths - minutes * 600;
    return `${minutes}:${String(Math.floor(rest / 10)).padStart(2, "0")}.${rest % 10}`;
  };
  const tenth = (seconds) => Math.round(seconds * 10) / 10;
  const seconds1 = (seconds) => (Math.round(seconds * 10) / 10).toFixed(1);

  function storedPeaks(figure) {
    const script = figure && figure.querySelector(':scope > script[type="application/json"]');
    try {
      const peaks = JSON.parse(script ? script.textContent : "[]");
      return Array.isArray(peaks) ? peaks.map((p) => Math.abs(Number(p)) || 0) : [];
    } catch {
      return [];
    }
  }

  /** The share (0–1) of the stored peak bins inside [start, end] that are quiet; null without peaks. */
  function quietShare(peaks, duration, start, end) {
    if (!peaks.length || !(duration > 0)) return null;
    const loudest = Math.max(...peaks);
    const threshold = Math.max(QUIET_FLOOR, loudest * QUIET_RELATIVE);
    const first = Math.max(0, Math.floor((start / duration) * peaks.length));
    const last = Math.min(peaks.length, Math.max(first + 1, Math.ceil((end / duration) * peaks.length)));
    const bins = peaks.slice(first, last);
    return bins.filter((p) => p < threshold).length / bins.length;
  }

  function initPanel(panel) {
    if (panel.dataset.ready) return;
    panel.dataset.ready = "1";
    panel.hidden = false;

    const duration = parseFloat(panel.dataset.duration) || 0;
    const limits = {
      persona: parseFloat(panel.dataset.personaMin) || 10,
      personaIdealMax: parseFloat(panel.dataset.personaIdealMax) || 30,
      separation: parseFloat(panel.dataset.separationMin) || 1,
    };
    const figure = document.getElementById(panel.dataset.player);
    const peaks = storedPeaks(figure);
    const startInput = panel.querySelector("[data-region-start]");
    const endInput = panel.querySelector("[data-region-end]");
    const summary = panel.querySelector("[data-region-summary]");
    const warning = panel.querySelector("[data-region-warning]");
    const playButton = panel.querySelector("[data-region-play]");
    const clearButton = panel.querySelector("[data-region-clear]");

    let regions = null; // the Regions plugin, once the waveform is ready
    let shown = null; // the one region drawn on the waveform
    let syncing = false; // true while we move the drawn region ourselves

    const forms = () => document.querySelectorAll("form[data-region-form]");

    /** {start, end} from the inputs; null for the whole clip; {error} when they cannot make a region. */
    function current() {
      const rawStart = startInput.value.trim();
      const rawEnd = endInput.value.trim();
      if (!rawStart && !rawEnd) return null;
      const start = rawStart ? Number(rawStart) : 0;
      const end = rawEnd ? Number(rawEnd) : duration;
      if (!Number.isFinite(start) || !Number.isFinite(end) || startInput.validity.badInput || endInput.validity.badInput) {
        return { error: gettext("Type the start and end in seconds, e.g. 12.5.") };
      }
      if (start < 0) return { error: gettext("A region can't start before 0:00.") };
      if (end > duration + 0.05) {
        return { error: interpolate(gettext("This clip is %(length)s long: end the region at %(length)s or earlier."),
          { length: clock(duration) }, true) };
      }
      if (end <= start) return { error: gettext("The region must end after it starts.") };
      return { start, end: Math.min(end, duration) };
    }

    function showWarning(message) {
      warning.textContent = message || "";
      warning.hidden = !message;
    }

    function resetConfirmations() {
      forms().forEach((form) => {
        delete form.dataset.confirmed;
        const button = form.querySelector("button[type=submit]");
        if (button && button.dataset.labelBefore) {
          button.textContent = button.dataset.labelBefore;
          delete button.dataset.labelBefore;
        }
      });
    }

    /** Everything that follows the region: summary, the forms' fields, button labels, the drawn region. */
    function update({ fromWave = false } = {}) {
      const region = current();
      const usable = region && !region.error ? region : null;
      if (!region) {
        summary.textContent = interpolate(gettext("The whole clip · %(seconds)s s"), { seconds: seconds1(duration) }, true);
      } else if (region.error) {
        summary.textContent = region.error;
      } else {
        const length = region.end - region.start;
        let text = interpolate(gettext("Selected %(start)s–%(end)s · %(seconds)s s"),
          { start: clock(region.start), end: clock(region.end), seconds: seconds1(length) }, true);
        if (length > limits.personaIdealMax) {
          // Allowed: more voice does no harm; the songwriter only needs to know what is enough.
          text += " · " + interpolate(gettext("%(min)s–%(max)s s is what a persona needs"),
            { min: limits.persona, max: limits.personaIdealMax }, true);
        }
        summary.textContent = text;
      }
      forms().forEach((form) => {
        form.querySelectorAll("[data-region-field]").forEach((field) => {
          const value = usable ? String(tenth(field.dataset.regionField === "start" ? usable.start : usable.end)) : "";
          field.value = value;
          field.disabled = !value; // the whole clip: leave the fields out of the request
        });
        const button = form.querySelector("button[type=submit]");
        if (button && button.dataset.labelClip && !button.dataset.labelBefore) {
          button.textContent = usable ? button.dataset.labelRegion : button.dataset.labelClip;
        }
        const note = form.querySelector("[data-region-note]");
        if (note) {
          note.hidden = !usable;
          note.textContent = usable ? interpolate(gettext("Only the selected part, %(start)s–%(end)s."),
            { start: clock(usable.start), end: clock(usable.end) }, true) : "";
        }
      });
      playButton.disabled = !usable || !figure?.wavesurfer;
      if (!fromWave) drawRegion(usable);
    }

    function drawRegion(region) {
      if (!regions) return;
      syncing = true;
      try {
        if (!region) {
          regions.clearRegions();
          shown = null;
        } else if (shown) {
          shown.setOptions({ start: region.start, end: region.end });
        } else {
          shown = regions.addRegion({ start: region.start, end: region.end, color: REGION_COLOR, drag: true, resize: true });
        }
      } finally {
        syncing = false;
      }
    }

    function fromWave(region) {
      startInput.value = String(tenth(region.start));
      endInput.value = String(tenth(region.end));
      showWarning("");
      resetConfirmations();
      update({ fromWave: true });
    }

    function attachWaveform(ws) {
      if (regions || !ws || !window.WaveSurfer?.Regions) return;
      regions = ws.registerPlugin(window.WaveSurfer.Regions.create());
      regions.enableDragSelection({ color: REGION_COLOR });
      regions.on("region-created", (region) => {
        if (syncing) return;
        // One region at a time: a new drag replaces the old selection.
        for (const other of regions.getRegions()) if (other !== region) other.remove();
        shown = region;
        fromWave(region);
      });
      regions.on("region-update", (region) => { if (!syncing && region === shown) fromWave(region); });
      regions.on("region-updated", (region) => { if (!syncing && region === shown) fromWave(region); });
      figure.classList.add("has-regions");
      update();
    }

    for (const input of [startInput, endInput]) {
      input.addEventListener("input", () => { showWarning(""); resetConfirmations(); update(); });
      input.addEventListener("change", () => update());
    }
    clearButton.addEventListener("click", () => {
      startInput.value = "";
      endInput.value = "";
      showWarning("");
      resetConfirmations();
      update();
    });
    playButton.addEventListener("click", () => {
      if (shown) shown.play(true);
    });

    /** Before a form goes: too short blocks; mostly silent asks once more ("Submit anyway"). */
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.dataset.regionForm) return;
      const kind = form.dataset.regionForm;
      const region = current();
      update();
      if (!region) return; // the whole clip: the server checks it as before
      const block = (message) => {
        event.preventDefault();
        showWarning(message);
        startInput.focus();
      };
      if (region.error) return block(region.error);
      const length = region.end - region.start;
      if (kind === "persona" && length < limits.persona) {
        return block(interpolate(gettext("A persona needs %(min)s–%(max)s seconds of clear voice; this region is only %(seconds)s s. Make it at least %(min)s seconds."),
          { min: limits.persona, max: limits.personaIdealMax, seconds: seconds1(length) }, true));
      }
      if (kind === "separation" && length < limits.separation) {
        return block(interpolate(gettext("Select at least one second to separate; this region is only %(seconds)s s."),
          { seconds: seconds1(length) }, true));
      }
      const key = `${tenth(region.start)}-${tenth(region.end)}`;
      const quiet = quietShare(peaks, duration, region.start, region.end);
      if (quiet !== null && quiet > QUIET_SHARE && form.dataset.confirmed !== key) {
        event.preventDefault();
        form.dataset.confirmed = key;
        const button = form.querySelector("button[type=submit]");
        if (button) {
          button.dataset.labelBefore = button.textContent;
          button.textContent = gettext("Submit anyway");
        }
        showWarning(interpolate(gettext("Most of this region looks silent (%(share)s of it is quiet), so there may be little voice to work with. Choose a part with more singing, or press “Submit anyway”."),
          { share: `${Math.round(quiet * 100)}%` }, true));
        return;
      }
      showWarning("");
    });

    if (figure) {
      if (figure.wavesurfer && figure.dataset.waveform === "ready") attachWaveform(figure.wavesurfer);
      figure.addEventListener("player:ready", (event) => attachWaveform(event.detail?.wavesurfer));
    }
    // The separation form comes back in an htmx swap (e.g. after a failure): fill its fields again.
    document.addEventListener("htmx:afterSwap", () => update({ fromWave: true }));
    update();
  }

  /** The persona page: the part of the clip it learned from, marked (not editable) with a button to hear it. */
  function initShownRegion(figure) {
    if (figure.dataset.regionShown) return;
    const start = parseFloat(figure.dataset.regionStart);
    const end = parseFloat(figure.dataset.regionEnd);
    const button = figure.querySelector("[data-region-play-learned]");
    const attach = (ws) => {
      if (figure.dataset.regionShown || !ws || !window.WaveSurfer?.Regions || !(end > start)) return;
      figure.dataset.regionShown = "1";
      const regions = ws.registerPlugin(window.WaveSurfer.Regions.create());
      const region = regions.addRegion({ start, end, color: REGION_COLOR, drag: false, resize: false });
      if (button) {
        button.hidden = false;
        button.addEventListener("click", () => region.play(true));
      }
    };
    if (figure.wavesurfer && figure.dataset.waveform === "ready") attach(figure.wavesurfer);
    figure.addEventListener("player:ready", (event) => attach(event.detail?.wavesurfer));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-region]").forEach(initPanel);
    document.querySelectorAll("figure[data-show-region]").forEach(initShownRegion);
  });
})();
