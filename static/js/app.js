// Persona Studio: site-wide behaviour. The song form's mode tabs and editor live in song-form.js.
// The language switcher has no script on purpose: it changes only when its button is pressed
// (WCAG 3.2.2 — choosing in a select must not reload the page by itself).

// Forms that start paid or slow work (data-submit-once): a second press while the first is on
// its way does nothing. The server makes one job per submission anyway (personastudio/submission.py);
// this just keeps the page honest. Listening on window runs after every page script's own checks.
window.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once") || event.defaultPrevented) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  form.querySelectorAll("button[type=submit], button:not([type])").forEach((button) => button.setAttribute("aria-busy", "true"));
});

// Back to a page kept in the browser's memory: its form may be sent again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
    form.querySelectorAll("[aria-busy]").forEach((button) => button.removeAttribute("aria-busy"));
  });
});

// A part of a page loaded when asked (a song's stems, a persona card's player: data-on-demand on the element
// that asks) that could not be fetched says so where it would have been, with a button that asks again
// (itself data-on-demand, so a second failure says so too), instead of a "Loading…" that never ends or a
// click that seems to do nothing.
function onDemandFailed(event) {
  const source = event.detail.elt;
  const target = event.detail.target;
  const config = event.detail.requestConfig;
  if (!source?.hasAttribute?.("data-on-demand") || !target || !config) return;
  const note = document.createElement("p");
  note.className = "field-error";
  note.setAttribute("role", "alert");
  note.dataset.loadFailed = "";
  note.textContent = gettext("This could not be loaded. Check your connection, then try again.");
  const again = document.createElement("button");
  again.type = "button";
  again.className = "outline secondary";
  again.textContent = gettext("Try again");
  target.dataset.onDemandTarget = "";
  for (const [name, value] of Object.entries({
    "hx-get": config.path,
    "hx-target": "closest [data-on-demand-target]",
    "hx-swap": source.getAttribute("hx-swap") || "innerHTML",
    "data-on-demand": "",
  })) again.setAttribute(name, value);
  target.removeAttribute("aria-busy");
  target.replaceChildren(note, again);
  htmx.process(again);
}
document.addEventListener("htmx:responseError", onDemandFailed);
document.addEventListener("htmx:sendError", onDemandFailed);
