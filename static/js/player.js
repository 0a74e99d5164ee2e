// Waveform players (wavesurfer.js over each <figure class="player">) and in-browser recording.
// Both are progressive: without JavaScript (or without wavesurfer) the native <audio controls>
// and the upload form still work.
(() => {
  "use strict";

  const SEEK_STEP_S = 5;
  // Django's JavaScript catalog (base.html loads it first); plain English if it failed to load.
  // Called by these names so that makemessages finds the strings.
  const gettext = window.gettext || ((text) => text);
  const interpolate = window.interpolate
    || ((format, values) => format.replace(/%\((\w+)\)s/g, (_, name) => String(values[name])));

  /** 75.4 -> "1:15"; anything unknown -> "0:00". */
  const clock = (seconds) => {
    const s = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };

  const el = (tag, props = {}, attrs = {}) => {
    const node = Object.assign(document.createElement(tag), props);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  };

  // ------------------------------------------------------------------ waveform player

  const players = new Map(); // figure -> WaveSurfer
  // The page's Content-Security-Policy takes <style> only with its nonce: wavesurfer writes one into each player.
  const cspNonce = document.querySelector('meta[name="csp-nonce"]')?.nonce || "";

  /** The peaks stored at upload (json_script inside the figure); [] when there are none. */
  function storedPeaks(figure) {
    const script = figure.querySelector(':scope > script[type="application/json"]');
    try {
      const peaks = JSON.parse(script ? script.textContent : "[]");
      return Array.isArray(peaks) ? peaks.map((p) => (Number.isFinite(p) ? p : 0)) : [];
    } catch {
      return [];
    }
  }

  function themeColor(figure, name, fallback) {
    const value = getComputedStyle(figure).getPropertyValue(name).trim();
    return value || fallback;
  }

  function initPlayer(figure) {
    if (figure.dataset.waveform || !window.WaveSurfer) return;
    const audio = figure.querySelector(":scope > audio");
    const peaks = storedPeaks(figure);
    const duration = parseFloat(figure.dataset.duration) || 0;
    // Without stored peaks wavesurfer would download and decode the whole file: keep the native player.
    if (!audio || !peaks.length || !(duration > 0)) return;
    figure.dataset.waveform = "loading";

    const title = (figure.dataset.title || figure.querySelector("figcaption a")?.textContent || gettext("this track")).trim();
    const toggle = el("button", { type: "button", className: "player-toggle" },
      { "aria-label": interpolate(gettext("Play %(title)s"), { title }, true), "aria-pressed": "false" });
    toggle.append(el("span", { className: "player-icon" }, { "aria-hidden": "true" }));
    const wave = el("div", { className: "player-wave", tabIndex: 0 }, {
      role: "slider", "aria-label": interpolate(gettext("Position in %(title)s"), { title }, true), "aria-valuemin": "0",
      "aria-valuemax": String(Math.round(duration)), "aria-valuenow": "0",
      "aria-valuetext": interpolate(gettext("%(time)s of %(length)s"), { time: "0:00", length: clock(duration) }, true),
      "aria-keyshortcuts": "Space ArrowLeft ArrowRight",
      title: gettext("Space: play or pause · ← →: 5 seconds back or forward"),
    });
    const current = el("span", { className: "player-current", textContent: "0:00" });
    const total = el("span", { className: "player-total", textContent: clock(duration) });
    const time = el("span", { className: "player-time" });
    time.append(current, " / ", total);
    const ui = el("div", { className: "player-ui" });
    ui.append(toggle, wave, time);
    audio.after(ui);

    let ws;
    try {
      ws = window.WaveSurfer.create({
        container: wave,
        media: audio,
        peaks: [peaks],
        duration,
        height: 64,
        normalize: true,
        barWidth: 2,
        barGap: 1,
        barRadius: 2,
        // A figure with data-drag-select (the clip page) drags out a region instead (region.js).
        dragToSeek: !("dragSelect" in figure.dataset),
        waveColor: themeColor(figure, "--player-wave", "#9aa6b8"),
        progressColor: themeColor(figure, "--player-progress", "#0172ad"),
        cursorColor: themeColor(figure, "--player-cursor", "#0172ad"),
        cursorWidth: 2,
        cspNonce,
      });
    } catch (error) {
      ui.remove();
      figure.dataset.waveform = "failed";
      console.warn("Waveform player not available:", error);
      return;
    }
    players.set(figure, ws);
    figure.wavesurfer = ws; // for region.js, which adds the Regions plugin on "player:ready"

    const showTime = (time) => {
      const length = ws.getDuration() || duration;
      current.textContent = clock(time);
      wave.setAttribute("aria-valuenow", String(Math.round(time)));
      wave.setAttribute("aria-valuetext", interpolate(gettext("%(time)s of %(length)s"), { time: clock(time), length: clock(length) }, true));
    };
    const showPlaying = (playing) => {
      toggle.setAttribute("aria-pressed", String(playing));
      figure.classList.toggle("is-playing", playing);
    };

    ws.on("ready", () => {
      // Only now is the waveform a full replacement for the native controls.
      figure.dataset.waveform = "ready";
      figure.classList.add("has-waveform");
      audio.controls = false;
      audio.hidden = true;
      const length = ws.getDuration() || duration;
      total.textContent = clock(length);
      wave.setAttribute("aria-valuemax", String(Math.round(length)));
      showTime(ws.getCurrentTime());
      figure.dispatchEvent(new CustomEvent("player:ready", { bubbles: true, detail: { wavesurfer: ws } }));
    });
    ws.on("timeupdate", showTime);
    ws.on("play", () => {
      showPlaying(true);
      for (const [other, otherWs] of players) if (other !== figure && otherWs.isPlaying()) otherWs.pause();
    });
    ws.on("pause", () => showPlaying(false));
    ws.on("finish", () => showPlaying(false));
    ws.on("error", (error) => {
      console.warn("Waveform player error:", error);
      if (figure.dataset.waveform !== "ready") teardown(figure, { keepNative: true });
    });

    const seekBy = (delta) => {
      const length = ws.getDuration() || duration;
      ws.setTime(Math.min(Math.max(ws.getCurrentTime() + delta, 0), Math.max(length - 0.05, 0)));
      showTime(ws.getCurrentTime());
    };
    toggle.addEventListener("click", () => ws.playPause().catch(() => {}));
    wave.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === " " || event.key === "Spacebar" || event.key === "Enter" || event.key === "k") {
        ws.playPause().catch(() => {});
      } else if (event.key === "ArrowLeft" || event.key === "ArrowDown") {
        seekBy(-SEEK_STEP_S);
      } else if (event.key === "ArrowRight" || event.key === "ArrowUp") {
        seekBy(SEEK_STEP_S);
      } else if (event.key === "Home") {
        ws.setTime(0);
      } else if (event.key === "End") {
        seekBy(Infinity);
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  function teardown(figure, { keepNative = false } = {}) {
    const ws = players.get(figure);
    players.delete(figure);
    delete figure.wavesurfer;
    if (ws) {
      try { ws.pause(); ws.destroy(); } catch { /* already gone */ }
    }
    figure.querySelector(":scope > .player-ui")?.remove();
    figure.classList.remove("has-waveform", "is-playing");
    const audio = figure.querySelector(":scope > audio");
    if (audio && keepNative) { audio.hidden = false; audio.controls = true; }
    figure.dataset.waveform = keepNative ? "failed" : "";
  }

  function initPlayers(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches?.("figure.player")) initPlayer(root);
    root.querySelectorAll("figure.player").forEach(initPlayer);
  }

  // Players swapped out by htmx (e.g. a polled status section) stop and let go of their audio.
  function forgetRemoved() {
    for (const figure of [...players.keys()]) if (!figure.isConnected) teardown(figure);
  }

  document.addEventListener("DOMContentLoaded", () => initPlayers(document));
  document.addEventListener("htmx:load", (event) => initPlayers(event.detail?.elt || event.target));
  document.addEventListener("htmx:afterSwap", () => { forgetRemoved(); initPlayers(document); });
  document.addEventListener("htmx:beforeCleanupElement", (event) => {
    const node = event.detail?.elt || event.target;
    if (node instanceof Element) {
      if (players.has(node)) teardown(node);
      node.querySelectorAll?.("figure.player").forEach((figure) => { if (players.has(figure)) teardown(figure); });
    }
  });

  window.PersonaStudioPlayers = { init: initPlayers, players };

  // ------------------------------------------------------------------ recorder

  const MIME_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
  const EXTENSIONS = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a" };

  // Getters: translated when used, after the catalog has surely loaded.
  const MSG = {
    get insecure() {
      return gettext("Recording in the browser needs the studio to be opened over https (or on this computer as localhost). You can still upload a recording as a file below.");
    },
    get unsupported() { return gettext("This browser cannot record audio. You can still upload a recording as a file below."); },
    get denied() {
      return gettext("The browser was not allowed to use the microphone. Allow the microphone for this site (usually from the icon in the address bar), then press Start recording again.");
    },
    get noMic() { return gettext("No microphone was found. Plug one in or switch it on, then press Start recording again."); },
    get busy() {
      return gettext("The microphone could not be started — another app may be using it. Close that app and try again.");
    },
    get failed() { return gettext("Recording could not start. Check your microphone and try again."); },
    get empty() { return gettext("Nothing was recorded. Press Retake to try again."); },
    get network() {
      return gettext("The recording could not be sent — check your connection, then press Save recording again. Your recording is still here.");
    },
    get kept() { return gettext("Your recording is still here: press Save recording to try again, or Retake."); },
  };

  function micErrorMessage(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "SecurityError":
      case "PermissionDeniedError":
        return MSG.denied;
      case "NotFoundError":
      case "DevicesNotFoundError":
      case "OverconstrainedError":
        return MSG.noMic;
      case "NotReadableError":
      case "TrackStartError":
      case "AbortError":
        return MSG.busy;
      default:
        return MSG.failed;
    }
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch {
      return "";
    }
  }

  function defaultTitle() {
    const now = new Date();
    const date = now.toLocaleDateString(undefined, { day: "numeric", month: "short" });
    const time = now.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    return interpolate(gettext("Recording %(date)s %(time)s"), { date, time }, true);
  }

  function initRecorder(section) {
    if (section.dataset.ready) return;
    section.dataset.ready = "1";
    section.hidden = false;
    document.querySelectorAll(".recorder-or").forEach((heading) => { heading.hidden = false; });

    const $ = (selector) => section.querySelector(selector);
    const errorBox = $("[data-error]");
    const countin = $("[data-countin]");
    const meter = $("[data-level]");
    const timer = $("[data-timer]");
    const playback = $("[data-playback]");
    const titleInput = $("[data-title]");
    const saveButton = $("[data-action=save]");
    const maxSeconds = parseFloat(section.dataset.maxSeconds) || 600;
    // Attach mode (the persona form's consent phrase): the take goes into this file input and is sent
    // with the form, instead of being saved as a clip on its own.
    const attachInput = section.dataset.attachTo ? document.getElementById(section.dataset.attachTo) : null;

    const showError = (message) => { errorBox.textContent = message || ""; };

    const unsupported = !window.isSecureContext ? MSG.insecure
      : !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder) ? MSG.unsupported
        : "";
    if (unsupported) {
      const note = $("[data-recorder-unsupported]");
      note.textContent = unsupported;
      note.hidden = false;
      $("[data-recorder-intro]").hidden = true;
      $("[data-action=start]").disabled = true;
      return;
    }

    let state = "idle";
    let stream = null;
    let audioContext = null;
    let recorder = null;
    let chunks = [];
    let blob = null;
    let blobUrl = null;
    let startedAt = 0;
    let tick = null;
    let levelFrame = null;
    let countTimer = null;
    let take = 0; // bumps on every start/retake so stale timers and callbacks do nothing

    const setState = (next) => {
      state = next;
      section.dataset.state = next;
      section.querySelectorAll("[data-show-in]").forEach((node) => {
        node.hidden = !node.dataset.showIn.split(" ").includes(next);
      });
      if (saveButton) {
        saveButton.disabled = next === "saving";
        saveButton.setAttribute("aria-busy", String(next === "saving"));
      }
    };

    function stopInput() {
      clearInterval(tick); tick = null;
      clearTimeout(countTimer); countTimer = null;
      if (levelFrame) cancelAnimationFrame(levelFrame);
      levelFrame = null;
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      if (audioContext) audioContext.close().catch(() => {});
      audioContext = null;
      meter.value = 0;
    }

    function startMeter() {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      try {
        audioContext = new Context();
        const analyser = audioContext.createAnalyser();
        analyser.fftSize = 2048;
        audioContext.createMediaStreamSource(stream).connect(analyser);
        const samples = new Float32Array(analyser.fftSize);
        let level = 0;
        const draw = () => {
          analyser.getFloatTimeDomainData(samples);
          let peak = 0;
          for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
          level = Math.max(peak, level * 0.9); // fast attack, gentle fall
          meter.value = Math.min(level, 1);
          levelFrame = requestAnimationFrame(draw);
        };
        if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
        draw();
      } catch (error) {
        console.warn("Input level meter not available:", error);
      }
    }

    function discardTake() {
      if (blobUrl) URL.revokeObjectURL(blobUrl);
      blobUrl = null;
      blob = null;
      chunks = [];
      playback.removeAttribute("src");
      playback.load();
      if (attachInput) attachInput.value = "";
    }

    function attachTake() {
      // A DataTransfer is the one way to put a File into an <input type=file>.
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], `phrase.${extensionFor(blob.type)}`, { type: blob.type }));
      attachInput.files = transfer.files;
      attachInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    async function start() {
      const thisTake = ++take;
      showError("");
      discardTake();
      timer.textContent = "0:00";
      countin.textContent = gettext("Waiting for the microphone…");
      setState("asking");
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        });
      } catch (error) {
        if (thisTake !== take) return;
        stopInput();
        setState("idle");
        showError(micErrorMessage(error));
        return;
      }
      if (thisTake !== take) { stream.getTracks().forEach((t) => t.stop()); return; }
      startMeter();
      setState("counting");
      for (const n of [3, 2, 1]) {
        countin.textContent = String(n);
        await new Promise((resolve) => { countTimer = setTimeout(resolve, 1000); });
        if (thisTake !== take) return;
      }
      record(thisTake);
    }

    function record(thisTake) {
      const mimeType = MIME_TYPES.find((type) => MediaRecorder.isTypeSupported?.(type)) || "";
      try {
        recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
      } catch (error) {
        stopInput();
        setState("idle");
        showError(MSG.unsupported);
        return;
      }
      chunks = [];
      recorder.addEventListener("dataavailable", (event) => { if (event.data && event.data.size) chunks.push(event.data); });
      recorder.addEventListener("stop", () => {
        if (thisTake !== take) return;
        stopInput();
        blob = new Blob(chunks, { type: recorder.mimeType || mimeType || "audio/webm" });
        chunks = [];
        if (!blob.size) {
          setState("review");
          showError(MSG.empty);
          return;
        }
        section.querySelector("[data-take-length]").textContent = timer.textContent;
        blobUrl = URL.createObjectURL(blob);
        playback.src = blobUrl;
        if (attachInput) attachTake();
        else if (!titleInput.value.trim()) titleInput.value = defaultTitle();
        setState("review");
        playback.focus();
      });
      recorder.addEventListener("error", () => {
        if (thisTake !== take) return;
        showError(MSG.failed);
      });
      recorder.start(250);
      countin.textContent = gettext("Recording");
      startedAt = performance.now();
      setState("recording");
      $("[data-action=stop]").focus();
      tick = setInterval(() => {
        const elapsed = (performance.now() - startedAt) / 1000;
        timer.textContent = clock(elapsed);
        if (elapsed >= maxSeconds) stop();
      }, 200);
    }

    function stop() {
      clearInterval(tick); tick = null;
      if (startedAt) timer.textContent = clock((performance.now() - startedAt) / 1000);
      if (recorder && recorder.state !== "inactive") recorder.stop();
    }

    function retake() {
      if (recorder && recorder.state !== "inactive") { take++; recorder.stop(); }
      stopInput();
      start();
    }

    function extensionFor(type) {
      return EXTENSIONS[(type || "").split(";")[0]] || "webm";
    }

    async function save() {
      if (!blob || !blob.size || state === "saving") return;
      showError("");
      setState("saving");
      const body = new FormData();
      body.append("title", titleInput.value.trim());
      body.append("kind", "recording");
      body.append("audio", blob, `recording.${extensionFor(blob.type)}`);
      let response;
      let data = {};
      try {
        response = await fetch(section.dataset.uploadUrl, {
          method: "POST",
          body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        });
        data = await response.json().catch(() => ({}));
      } catch {
        setState("review");
        showError(MSG.network);
        return;
      }
      if (response.ok && data.url) {
        window.location.assign(data.url);
        return;
      }
      setState("review");
      const reason = data.message || (response.status === 403
        ? gettext("Your session may have expired: sign in again in another tab.") : gettext("The studio could not keep this recording."));
      showError(`${reason} ${MSG.kept}`);
    }

    section.querySelector("[data-action=start]").addEventListener("click", start);
    section.querySelector("[data-action=stop]").addEventListener("click", stop);
    section.querySelector("[data-action=retake]").addEventListener("click", retake);
    if (saveButton) saveButton.addEventListener("click", save);
    window.addEventListener("pagehide", () => { take++; stopInput(); });
    setState("idle");
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("section.recorder").forEach(initRecorder);
  });
})();
