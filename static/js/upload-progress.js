// Persona Studio: the clip upload form (data-upload-progress) sends its file with XMLHttpRequest, so the page
// can show a determinate bar with the bytes sent and the time left. The view answers JSON when asked
// (Accept: application/json): 201 with the new clip's address, or 400 with each field's errors, which are
// shown next to their fields; the form keeps what was typed. Without this script the form posts as usual.
(() => {
  const gettext = window.gettext || ((text) => text);
  const fill = (text, values) => (window.interpolate ? window.interpolate(text, values, true) : text);

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1);
  }

  function timeLeft(seconds) {
    if (!Number.isFinite(seconds)) return "";
    if (seconds < 60) return fill(gettext("about %(seconds)s s left"), { seconds: Math.max(1, Math.round(seconds)) });
    return fill(gettext("about %(minutes)s min left"), { minutes: Math.round(seconds / 60) });
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-upload-field-error]").forEach((node) => node.remove());
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    const general = form.querySelector("[data-upload-error]");
    general.textContent = "";
    general.hidden = true;
  }

  function showError(form, message) {
    const general = form.querySelector("[data-upload-error]");
    general.textContent = message;
    general.hidden = false;
  }

  // Each field's sentences next to it, as the server-rendered form would put them.
  function showFieldErrors(form, errors) {
    let shown = false;
    Object.entries(errors || {}).forEach(([name, messages]) => {
      const input = form.elements.namedItem(name);
      const text = (messages || []).join(" ");
      if (!text) return;
      if (input instanceof HTMLElement && input.parentElement) {
        const note = document.createElement("small");
        note.className = "field-error";
        note.id = `${input.id || name}_error`;
        note.setAttribute("role", "alert");
        note.setAttribute("data-upload-field-error", "");
        note.textContent = text;
        input.setAttribute("aria-invalid", "true");
        input.insertAdjacentElement("afterend", note);
        shown = true;
      } else {
        showError(form, text);
        shown = true;
      }
    });
    return shown;
  }

  function failedBecause(xhr) {
    if (xhr.status === 413) return gettext("The upload failed: the file is larger than this server accepts. Trim it or export it as MP3, then try again.");
    if (xhr.status === 403) return gettext("The upload failed: your session has expired. Reload the page, log in again and try again.");
    return fill(gettext("The upload failed: the server answered with an error (%(status)s). Try again in a minute."), { status: xhr.status });
  }

  function send(form) {
    const status = form.querySelector("[data-upload-status]");
    const bar = form.querySelector("[data-upload-bar]");
    const figures = form.querySelector("[data-upload-figures]");
    const button = form.querySelector("button[type=submit]");
    const started = performance.now();
    const xhr = new XMLHttpRequest();
    clearErrors(form);
    status.hidden = false;
    bar.max = 1;
    bar.value = 0;
    figures.textContent = gettext("Starting the upload…");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");

    const done = () => {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      delete form.dataset.uploading;
    };

    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      bar.max = event.total;
      bar.value = event.loaded;
      const elapsed = (performance.now() - started) / 1000;
      const rate = elapsed > 0 ? event.loaded / elapsed : 0;
      const left = event.loaded < event.total && rate > 0 ? timeLeft((event.total - event.loaded) / rate) : "";
      figures.textContent = fill(gettext("%(sent)s MB of %(total)s MB sent"), {
        sent: megabytes(event.loaded), total: megabytes(event.total),
      }) + (left ? ` · ${left}` : "");
    });
    xhr.upload.addEventListener("load", () => {
      bar.value = bar.max;
      figures.textContent = gettext("Sent. Checking the audio…");
    });
    xhr.addEventListener("load", () => {
      let answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = null;
      }
      if (xhr.status === 201 && answer && answer.url) {
        window.location.assign(answer.url);
        return;
      }
      done();
      status.hidden = true;
      if (xhr.status === 400 && answer && showFieldErrors(form, answer.errors)) return;
      showError(form, failedBecause(xhr));
    });
    xhr.addEventListener("error", () => {
      done();
      status.hidden = true;
      showError(form, gettext("The upload failed: the connection to the server was lost. Check your connection and try again."));
    });
    xhr.addEventListener("timeout", () => {
      done();
      status.hidden = true;
      showError(form, gettext("The upload failed: the server took too long to answer. Try again in a minute."));
    });
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-progress") || event.defaultPrevented) return;
    if (!window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();
    if (form.dataset.uploading) return; // one upload at a time
    form.dataset.uploading = "1";
    send(form);
  });
})();
