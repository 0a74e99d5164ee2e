// Song form: mode tabs, lyric editor (section tags, syllables per line, section preview),
// character counters and style chips. Without JavaScript the plain form still works.
(() => {
  "use strict";

  // Django's JavaScript catalog (base.html loads it first); plain English if it failed to load.
  // Called by these names so that makemessages finds the strings.
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((one, many, n) => (n === 1 ? one : many));
  const interpolate = window.interpolate
    || ((format, values) => format.replace(/%\((\w+)\)s/g, (_, name) => String(values[name])));

  // --- lyric text helpers (a small mirror of personastudio/engine/dsp/lyrics.py) -------------
  const CJK = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u3040-\\u30ff\\uac00-\\ud7af";
  const CJK_RE = new RegExp(`[${CJK}]`, "g");
  const HAS_CJK = new RegExp(`[${CJK}]`);
  const LATIN_RE = /[A-Za-z]/g;
  const TOKEN_RE = new RegExp(`[${CJK}]|[A-Za-z]+(?:'[A-Za-z]+)*|\\d+|&`, "g");
  const TAG_RE = /^\s*[[【](.+?)[\]】]\s*$/;
  // What the engine knows of sections, sent by the song form page (generations.forms.SECTION_VOCABULARY):
  // its tag words, [[kind, [word, ...]], ...] with more specific kinds first, and each kind's name in
  // English and Chinese. Without them every tag reads as a verse.
  const VOCABULARY = (() => {
    const script = document.getElementById("section-vocabulary");
    try {
      return JSON.parse(script ? script.textContent : "null") || {};
    } catch {
      return {};
    }
  })();
  const TAG_WORDS = Array.isArray(VOCABULARY.tag_words) ? VOCABULARY.tag_words : [];
  const KIND_LABEL = VOCABULARY.labels || {en: {}, zh: {}};
  const BAND_ONLY = new Set(["intro", "outro", "instrumental", "bridge"]);

  function detectLanguage(text) {
    const cjk = (text.match(CJK_RE) || []).length;
    const latin = (text.match(LATIN_RE) || []).length;
    return cjk > 0 && cjk * 3 >= latin ? "zh" : "en";
  }

  function tagKind(tag) {
    let t = tag.trim().toLowerCase();
    t = t.split(/[:：(（,，/|]/)[0].trim() || t;
    t = t.replace(/[\d.\-_ x×]+$/, "").trim();
    for (const [kind, words] of TAG_WORDS) if (words.some((w) => t === w || t.startsWith(w))) return kind;
    for (const [kind, words] of TAG_WORDS) if (words.some((w) => w.length >= 2 && t.includes(w))) return kind;
    return "verse";
  }

  function englishWordSyllables(word) {
    let w = word.toLowerCase();
    if (w.length <= 3) return 1;
    w = w.replace(/'s$/, "");
    let n = (w.match(/[aeiouy]+/g) || []).length;
    if (w.endsWith("e") && !/(le|ee|ye)$/.test(w) && n > 1) n -= 1; // silent e: "love", "time"
    else if (w.endsWith("es") && !/(ses|zes|ches|shes|ges|ces|xes)$/.test(w) && n > 1) n -= 1;
    else if (w.endsWith("ed") && !/(ted|ded)$/.test(w) && n > 1) n -= 1;
    return Math.max(1, n);
  }

  const ONES = [2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 3, 1, 2, 2, 2, 2, 3, 2, 2]; // zero..nineteen
  function numberSyllables(digits, lang) {
    if (lang === "zh") return digits.length; // 二零二四: one per digit (an estimate for 25 → 二十五)
    const n = Number(digits);
    if (digits.length <= 2 && n < 20) return ONES[n];
    if (digits.length === 2) return 2 + (n % 10 ? ONES[n % 10] : 0) + (Math.floor(n / 10) === 7 ? 1 : 0);
    return [...digits].reduce((sum, d) => sum + ONES[Number(d)], 0);
  }

  function countSyllables(line) {
    const lang = detectLanguage(line);
    let n = 0;
    for (const token of line.match(TOKEN_RE) || []) {
      if (HAS_CJK.test(token)) n += 1;
      else if (/^\d/.test(token)) n += numberSyllables(token, lang);
      else if (token === "&") n += 1;
      else n += englishWordSyllables(token);
    }
    return n;
  }

  function parseSections(text, lang) {
    const raw = text.replace(/\r\n?/g, "\n").split("\n");
    const labels = KIND_LABEL[lang];
    if (raw.some((l) => TAG_RE.test(l))) {
      const sections = [];
      let current = null;
      for (const line of raw) {
        const m = TAG_RE.exec(line);
        if (m) {
          current = {kind: tagKind(m[1]), label: m[1].trim(), lines: 0};
          sections.push(current);
        } else if (countSyllables(line) > 0) {
          if (!current) sections.push(current = {kind: "verse", label: labels.verse, lines: 0});
          current.lines += 1;
        }
      }
      const written = new Set();
      for (const s of sections) {
        if (s.lines) written.add(s.kind);
        else if ((s.kind === "chorus" || s.kind === "prechorus") && written.has(s.kind)) s.repeat = true;
      }
      return sections;
    }
    const stanzas = [];
    let cur = [];
    for (const line of raw) {
      if (line.trim()) cur.push(line);
      else if (cur.length) { stanzas.push(cur); cur = []; }
    }
    if (cur.length) stanzas.push(cur);
    const key = (st) => st.map((l) => l.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim()).join("\n");
    const counts = {};
    stanzas.forEach((st) => { counts[key(st)] = (counts[key(st)] || 0) + 1; });
    return stanzas.map((st) => {
      const lines = st.filter((l) => countSyllables(l) > 0).length;
      const kind = counts[key(st)] > 1 ? "chorus" : "verse";
      return {kind, label: labels[kind], lines};
    }).filter((s) => s.lines);
  }

  // The preview speaks the lyric's language for Chinese lyrics; otherwise the page's.
  function describeSection(s, lang) {
    const plural = (n) => (lang === "zh" ? `${n} 行`
      : interpolate(ngettext("%(count)s line", "%(count)s lines", n), {count: n}, true));
    if (s.repeat) return `${s.label} · ${lang === "zh" ? "重复" : gettext("repeats")}`;
    if (!s.lines) return `${s.label} · ${BAND_ONLY.has(s.kind) ? (lang === "zh" ? "纯音乐" : gettext("band only")) : (lang === "zh" ? "空" : gettext("empty"))}`;
    return `${s.label} · ${plural(s.lines)}`;
  }

  // --- mode tabs ------------------------------------------------------------------------------
  function setUpModes(form) {
    const radios = form.querySelectorAll("input[name=mode]");
    const show = () => {
      const mode = form.querySelector("input[name=mode]:checked")?.value || "custom";
      form.querySelectorAll("[data-mode-section]").forEach((section) => {
        section.hidden = section.dataset.modeSection !== mode;
      });
      form.dataset.mode = mode;
    };
    radios.forEach((radio) => radio.addEventListener("change", show));
    show();
  }

  // --- character counters ---------------------------------------------------------------------
  function setUpCounters(form) {
    form.querySelectorAll("input[maxlength], textarea[maxlength]").forEach((field) => {
      const max = Number(field.getAttribute("maxlength"));
      if (!max) return;
      const counter = document.createElement("small");
      counter.className = "char-count";
      counter.id = `${field.id}_count`;
      counter.dataset.counterFor = field.id;
      (field.closest(".lyric-editor") || field).after(counter);
      field.setAttribute("aria-describedby",
        [field.getAttribute("aria-describedby"), counter.id].filter(Boolean).join(" "));
      const update = () => {
        const n = field.value.length;
        counter.textContent = `${n} / ${max}`;
        counter.classList.toggle("near", n >= Math.floor(max * 0.9) && n <= max);
        counter.classList.toggle("over", n > max);
        counter.title = n > max
          ? interpolate(ngettext("%(count)s character too many", "%(count)s characters too many", n - max),
            {count: n - max}, true)
          : interpolate(ngettext("%(count)s character left", "%(count)s characters left", max - n),
            {count: max - n}, true);
      };
      field.addEventListener("input", update);
      update();
    });
  }

  // --- lyric editor ---------------------------------------------------------------------------
  function setUpLyrics(form) {
    const area = form.querySelector("textarea[name=prompt]");
    if (!area) return;
    const field = area.closest(".lyric-field");
    const toolbar = field.querySelector(".section-buttons");
    const gutter = field.querySelector(".syllable-gutter");
    const preview = field.querySelector(".section-preview");
    const editor = field.querySelector(".lyric-editor");
    [toolbar, gutter, preview, ...field.querySelectorAll(".js-only")].forEach((el) => el && (el.hidden = false));
    editor.classList.add("enhanced");

    // A hidden copy of the textarea's text, one block per line, to find where each line sits
    // once wrapped: the gutter's counts follow the lines exactly.
    const mirror = document.createElement("div");
    mirror.className = "lyric-mirror";
    mirror.setAttribute("aria-hidden", "true");
    editor.append(mirror);

    let lang = "en";
    const updateButtons = () => {
      toolbar.querySelectorAll("[data-section-kind]").forEach((button) => {
        const tag = lang === "zh" ? button.dataset.tagZh : button.dataset.tagEn;
        button.textContent = tag;
        button.setAttribute("aria-label", interpolate(gettext("Insert %(tag)s on its own line"), {tag}, true));
      });
    };

    const renderGutter = () => {
      const style = getComputedStyle(area);
      for (const prop of ["fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing", "paddingTop",
        "paddingRight", "paddingBottom", "paddingLeft", "wordBreak", "overflowWrap", "tabSize"]) {
        mirror.style[prop] = style[prop];
      }
      mirror.style.width = `${area.clientWidth}px`;
      const lines = area.value.split("\n");
      mirror.replaceChildren(...lines.map((line) => {
        const div = document.createElement("div");
        div.textContent = line || "\u200b";
        return div;
      }));
      const top = area.offsetTop - gutter.offsetTop + area.clientTop - area.scrollTop;
      const lineHeight = mirror.firstChild ? mirror.firstChild.getBoundingClientRect().height : 0;
      const rows = [];
      lines.forEach((line, i) => {
        if (!line.trim() || TAG_RE.test(line)) return;
        const n = countSyllables(line.trim().replace(/^[(（]|[)）]$/g, ""));
        if (!n) return;
        const row = mirror.children[i];
        const mark = document.createElement("span");
        mark.className = "syl";
        mark.dataset.line = String(i + 1);
        mark.textContent = String(n);
        mark.style.top = `${top + row.offsetTop}px`;
        mark.style.height = `${Math.min(lineHeight || row.offsetHeight, row.offsetHeight)}px`;
        mark.style.lineHeight = style.lineHeight;
        rows.push(mark);
      });
      gutter.replaceChildren(...rows);
    };

    const renderPreview = () => {
      const sections = parseSections(area.value, lang);
      if (!sections.length) {
        preview.textContent = lang === "zh" && area.value.trim() ? "段落：写几行歌词，或插入 [主歌]、[副歌]。"
          : gettext("Sections: none yet — write a few lines, or insert [Verse] and [Chorus].");
        preview.classList.add("empty");
        return;
      }
      preview.classList.remove("empty");
      const label = document.createElement("strong");
      label.textContent = lang === "zh" ? "段落：" : gettext("Sections: ");
      const items = sections.map((s, i) => {
        const span = document.createElement("span");
        span.className = "section-chip";
        span.dataset.kind = s.kind;
        span.textContent = describeSection(s, lang) + (i < sections.length - 1 ? ", " : "");
        return span;
      });
      preview.replaceChildren(label, ...items);
    };

    const update = () => {
      const next = detectLanguage(area.value);
      if (next !== lang) { lang = next; updateButtons(); }
      renderGutter();
      renderPreview();
    };

    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("[data-section-kind]");
      if (!button) return;
      insertTag(area, lang === "zh" ? button.dataset.tagZh : button.dataset.tagEn);
    });
    area.addEventListener("input", update);
    area.addEventListener("scroll", renderGutter, {passive: true});
    if (window.ResizeObserver) new ResizeObserver(renderGutter).observe(area);
    document.fonts?.ready.then(renderGutter);
    form.querySelectorAll("input[name=mode]").forEach((r) => r.addEventListener("change", () => requestAnimationFrame(renderGutter)));
    updateButtons();
    update();
  }

  // The tag goes on its own line at the cursor (a blank line before it after a lyric line),
  // and the cursor lands on the line after it, ready for the section's first line.
  function insertTag(area, tag) {
    area.focus();
    const {selectionStart: start, selectionEnd: end, value} = area;
    const before = value.slice(0, start);
    const after = value.slice(end);
    let pre = "";
    if (before && !before.endsWith("\n")) pre = "\n";
    const previous = (before + pre).split("\n").slice(-2)[0];
    if (before && previous.trim() && !TAG_RE.test(previous)) pre += "\n";
    const nextIsNewline = after.startsWith("\n");
    const text = pre + tag + (nextIsNewline ? "" : "\n");
    area.setSelectionRange(start, end);
    // execCommand keeps the browser's undo history; setRangeText where it is not supported.
    let done = false;
    try { done = document.execCommand("insertText", false, text); } catch { done = false; }
    if (!done || area.value.slice(start, start + text.length) !== text) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", {bubbles: true}));
    }
    const caret = start + text.length + (nextIsNewline ? 1 : 0);
    area.setSelectionRange(caret, caret);
  }

  // --- style chips ----------------------------------------------------------------------------
  const SEP = "[\\s,，、;；/|·]";
  const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  function findWord(value, word) {
    const m = new RegExp(`(^|${SEP})${escapeRe(word)}(?=$|${SEP})`, "i").exec(value);
    if (m) return {index: m.index + m[1].length, length: word.length};
    // Chinese tags are often written without spaces ("流行抒情女声"); a one-character word
    // only counts on its own ("快" is not in "欢快").
    if (HAS_CJK.test(word) && word.length > 1) {
      const i = value.indexOf(word);
      if (i >= 0) return {index: i, length: word.length};
    }
    return null;
  }

  function tidy(value) {
    return value.replace(/[ \t]*[,，、][ \t]*(?:[,，、][ \t]*)+/g, ", ").replace(/ {2,}/g, " ")
      .replace(/^[\s,，、]+|[\s,，、]+$/g, "");
  }

  function setUpChips(form) {
    const box = form.querySelector(".style-chips");
    if (!box) return;
    const input = document.getElementById(box.dataset.chipsFor);
    if (!input) return;
    const chips = box.querySelectorAll(".chip");
    const sync = () => chips.forEach((chip) => {
      chip.setAttribute("aria-pressed", String(Boolean(findWord(input.value, chip.dataset.tag))));
    });
    box.addEventListener("click", (event) => {
      const chip = event.target.closest(".chip");
      if (!chip) return;
      const word = chip.dataset.tag;
      const found = findWord(input.value, word);
      let value;
      if (found) {
        value = tidy(input.value.slice(0, found.index) + input.value.slice(found.index + found.length));
      } else {
        const base = input.value.trim().replace(/[,，、]\s*$/, "");
        value = base ? `${base}, ${word}` : word;
        const max = Number(input.getAttribute("maxlength")) || Infinity;
        if (value.length > max) {
          chip.classList.add("refused");
          setTimeout(() => chip.classList.remove("refused"), 600);
          return;
        }
      }
      input.value = value;
      input.dispatchEvent(new Event("input", {bubbles: true}));
    });
    input.addEventListener("input", sync);
    sync();
  }

  // --- persona picker: preview a singer's voice --------------------------------------------------
  // One <audio> for the whole picker: starting another preview stops the one playing.
  function setUpPersonaPreview(form) {
    const picker = form.querySelector(".persona-picker");
    const audio = picker?.querySelector(".persona-preview-audio");
    if (!audio) return;
    let current = null;
    const reset = () => {
      if (current) current.setAttribute("aria-pressed", "false");
      current = null;
    };
    picker.addEventListener("click", (event) => {
      const button = event.target.closest(".persona-preview");
      if (!button) return;
      if (current === button && !audio.paused) {
        audio.pause();
        return;
      }
      reset();
      audio.src = button.dataset.previewSrc; // may carry #t=start,end: the region the persona was learned from
      current = button;
      button.setAttribute("aria-pressed", "true");
      audio.play().catch(reset);
    });
    audio.addEventListener("pause", reset);
    audio.addEventListener("ended", reset);
  }

  // --- "How much of the persona": shown while a persona is chosen, a slider beside the number -----
  function setUpInfluence(form) {
    const field = form.querySelector("[data-persona-influence]");
    const number = field?.querySelector("input[type=number]");
    const slider = field?.querySelector("[data-influence-slider]");
    if (!number || !slider) return;
    const follow = () => {
      const chosen = form.querySelector("input[name=persona]:checked")?.value || "";
      field.hidden = !chosen && !field.classList.contains("has-error");
    };
    form.querySelectorAll("input[name=persona]").forEach((radio) => radio.addEventListener("change", follow));
    slider.hidden = false;
    if (number.value === "" || Number.isNaN(Number(number.value))) slider.value = "100";
    slider.addEventListener("input", () => { number.value = slider.value; });
    number.addEventListener("input", () => {
      const value = Number(number.value);
      if (number.value !== "" && value >= 0 && value <= 100) slider.value = String(value);
    });
    follow();
  }

  // --- song page: "Extend from here" takes the player's current second ---------------------------
  const clockText = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

  /** The whole second a card's player is at (the contract's continue_at is an int); 0 = not started. */
  function extendSecond(card) {
    const audio = card.querySelector("audio");
    const figure = card.querySelector(".player");
    if (!audio) return 0;
    const duration = parseFloat(figure?.dataset.duration) || audio.duration || 0;
    let at = Math.round(audio.currentTime || 0);
    if (duration > 0 && at > Math.floor(duration)) at = Math.floor(duration);
    return at >= 1 ? at : 0;
  }

  function updateExtendLink(card) {
    const link = card.querySelector("[data-action=extend]");
    if (!link) return;
    const at = extendSecond(card);
    link.href = at ? `${link.dataset.extendHref}&at=${at}` : link.dataset.extendHref;
    const label = link.querySelector("[data-extend-at]");
    if (label) {
      label.textContent = at ? interpolate(gettext("(at %(time)s)"), {time: clockText(at)}, true)
        : gettext("(from the end)");
    }
  }

  function setUpExtend() {
    // Delegated on the document: the result cards arrive later, swapped in by the polled status.
    const follow = (event) => {
      const card = event.target.closest?.(".result-card");
      if (card) updateExtendLink(card);
    };
    for (const type of ["timeupdate", "seeked", "loadedmetadata"]) document.addEventListener(type, follow, true);
    document.addEventListener("click", (event) => {
      const card = event.target.closest?.("[data-action=extend]")?.closest(".result-card");
      if (card) updateExtendLink(card);
    }, true);
    const all = () => document.querySelectorAll(".result-card").forEach(updateExtendLink);
    document.body.addEventListener("htmx:afterSwap", all);
    all();
  }

  function init() {
    setUpExtend();
    const form = document.getElementById("generation-form");
    if (!form || form.dataset.enhanced) return;
    form.dataset.enhanced = "true";
    setUpModes(form);
    setUpCounters(form);
    setUpLyrics(form);
    setUpChips(form);
    setUpPersonaPreview(form);
    setUpInfluence(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  window.songForm = {countSyllables, detectLanguage, parseSections, tagKind}; // for tests and the console
})();
