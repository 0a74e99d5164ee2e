// Persona Studio: site-wide behaviour. The song form's mode tabs and editor live in song-form.js.
// The language switcher has no script on purpose: it changes only when its button is pressed
// (WCAG 3.2.2 — choosing in a select must not reload the page by itself).
