// Persona Studio: site-wide behaviour. The song form's mode tabs and editor live in song-form.js.
