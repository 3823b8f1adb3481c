/* Dadkhahi memorial: name search without a server.
 *
 * A classic script (ES5 syntax: no modules, no fetch, no WebAssembly), so it runs from
 * file:// (a USB stick) as well as from any static host. Its data are script files that
 * call the global callbacks below when they load: dadkhahiLexicon (the name table),
 * dadkhahiShards (which key prefixes have a shard), dadkhahiIndex (one shard: key ->
 * victims) and dadkhahiPeople (one chunk of victims to show). They are written by
 * dadkhahi.publish.search_index, which keys the victims' names with the project's one
 * keying (dadkhahi.persian.name_keys, dadkhahi.search.persons.key_strings).
 *
 * The typed query must get the very keys Python gives the same text, so the keying is
 * ported here function by function (normalize_script, to_ascii_latin, fold, the
 * lexicon's resolve, name_tokens, strip_titles, name_keys, skeleton, key_strings); the
 * lexicon and the title and suffix sets come from Python as data, never typed twice.
 * A test runs this file in Chromium and compares its keys with Python's.
 */
(function (global) {
  "use strict";

  var ZWNJ = "\u200c";
  // Python's \s also holds U+001C..U+001F and U+0085; JavaScript's does not.
  var WS = "\\s\\x1c-\\x1f\\x85";

  // --- normalize.py -------------------------------------------------------------------

  var TRANSLATE = {};
  (function () {
    var letters = {
      "\u064a": "\u06cc", "\u0649": "\u06cc", "\u06d2": "\u06cc", "\u0643": "\u06a9",
      "\u06aa": "\u06a9", "\u0629": "\u0647", "\u06c0": "\u0647", "\u06c1": "\u0647",
      "\u06d5": "\u0647", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",
      "\u0672": "\u0627", "\u0673": "\u0627", "\u0624": "\u0648"
    };
    var k, i;
    for (k in letters) { if (letters.hasOwnProperty(k)) { TRANSLATE[k] = letters[k]; } }
    for (i = 0; i < 10; i++) {
      TRANSLATE[String.fromCharCode(0x06f0 + i)] = String(i);
      TRANSLATE[String.fromCharCode(0x0660 + i)] = String(i);
    }
    var ranges = [[0x064b, 0x065f], [0x0670, 0x0670], [0x0610, 0x0615], [0x06d6, 0x06dc],
      [0x06df, 0x06e8], [0x06ea, 0x06ed], [0x0640, 0x0640], [0x200e, 0x200f],
      [0x061c, 0x061c], [0xfeff, 0xfeff], [0x00ad, 0x00ad], [0x200d, 0x200d],
      [0x2060, 0x2060], [0x200b, 0x200b], [0x202a, 0x202e], [0x2066, 0x2069]];
    for (i = 0; i < ranges.length; i++) {
      for (k = ranges[i][0]; k <= ranges[i][1]; k++) { TRANSLATE[String.fromCharCode(k)] = ""; }
    }
    var punct = { "\u060c": ",", "\u061b": ";", "\u061f": "?", "\u066b": ".", "\u066c": ",",
      "\u066a": "%" };
    for (k in punct) { if (punct.hasOwnProperty(k)) { TRANSLATE[k] = punct[k]; } }
  })();

  var PRESENTATION = /[\ufb50-\ufdff\ufe70-\ufefe]+/g;
  var SPACES = new RegExp("[" + WS + "\\u00a0\\u2000-\\u200a\\u202f\\u205f\\u3000]+", "g");
  var ZWNJ_RUN = /\u200c+/g;
  // A letter as Python's [^\W\d_] sees it: a letter or a numeric character that is not a
  // decimal digit. Unicode property escapes where the browser has them (syntax stays ES5).
  var LETTER = (function () {
    try {
      return new RegExp("^[\\p{L}\\p{Nl}\\p{No}]$", "u");
    } catch (e) {
      return /^[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u03ff\u0400-\u052f\u0620-\u064a\u066e-\u066f\u0671-\u06d3\u06d5\u06e5-\u06e6\u06ee-\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f\u1e00-\u1fff\ufb50-\ufdff\ufe70-\ufefe]$/;
    }
  })();

  function nfc(text, form) {
    return text.normalize ? text.normalize(form || "NFC") : text;
  }

  function isLetter(ch) {
    return ch !== undefined && ch !== "" && LETTER.test(ch);
  }

  function normalizeScript(text) {
    var out = "", i, ch, mapped;
    text = text.replace(PRESENTATION, function (m) { return nfc(m, "NFKC"); });
    text = nfc(text);
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      mapped = TRANSLATE[ch];
      out += mapped === undefined ? ch : mapped;
    }
    out = out.replace(SPACES, " ").replace(ZWNJ_RUN, ZWNJ);
    // A ZWNJ stays only between two letters (normalize.py's ZWNJ rule).
    text = "";
    for (i = 0; i < out.length; i++) {
      ch = out.charAt(i);
      if (ch === ZWNJ && !(isLetter(out.charAt(i - 1)) && isLetter(out.charAt(i + 1)))) {
        continue;
      }
      text += ch;
    }
    return nfc(text.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, ""));
  }

  var LATIN_SPECIAL = {
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "Ae", "\u0153": "oe", "\u0152": "Oe",
    "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
    "\u00f0": "d", "\u00fe": "th", "\u0131": "i", "\u02bf": "", "\u02be": "", "\u02bc": "",
    "\u02bb": "", "'": "", "\u2019": "", "\u2018": "", "`": "", "\u00b4": "", "\u02b9": ""
  };

  function toAsciiLatin(text) {
    var out = "", i, ch, mapped;
    text = normalizeScript(text);
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      mapped = LATIN_SPECIAL[ch];
      out += mapped === undefined ? ch : mapped;
    }
    // NFKD, then everything outside ASCII goes (combining marks with it).
    out = nfc(out, "NFKD").replace(/[^\x00-\x7f]/g, "");
    return out.replace(/[\s\x1c-\x1f]+/g, " ").replace(/^ +| +$/g, "");
  }

  // --- lexicon.py ---------------------------------------------------------------------

  var PERSIAN_LETTER = /[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622]/;
  var PERSIAN_LETTERS = /[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622]/g;
  var LATIN_FOLDS = [["dj", "j"], ["ph", "f"], ["q", "gh"], ["w", "v"], ["ou", "u"],
    ["oo", "u"], ["ee", "i"], ["ey", "ei"]];
  var GIVEN_KINDS = { given: true, prefix: true };

  function hasPersianLetters(text) {
    return PERSIAN_LETTER.test(text);
  }

  function replaceAll(text, old, rep) {
    return text.split(old).join(rep);
  }

  function endsWith(text, tail) {
    return text.length >= tail.length && text.slice(text.length - tail.length) === tail;
  }

  function startsWith(text, head) {
    return text.slice(0, head.length) === head;
  }

  var foldCache = Object.create(null);

  function fold(token) {
    var hit = foldCache[token], text, i;
    if (hit !== undefined) { return hit; }
    if (hasPersianLetters(token)) {
      text = normalizeScript(token).replace(/\u0626/g, "\u06cc").replace(/\u0621/g, "")
        .replace(/\u0622/g, "\u0627");
      text = (text.match(PERSIAN_LETTERS) || []).join("");
    } else {
      text = toAsciiLatin(token).toLowerCase().replace(/[^a-z]/g, "");
      for (i = 0; i < LATIN_FOLDS.length; i++) {
        text = replaceAll(text, LATIN_FOLDS[i][0], LATIN_FOLDS[i][1]);
      }
      // "ii" stays: a dropped ayn (Zari'i), not a long vowel.
      text = text.replace(/(.)\1+/g, function (m, c) { return m === "ii" ? m : c; });
    }
    foldCache[token] = text;
    return text;
  }

  var LEX = null;

  function get(map, key) {
    return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : null;
  }

  function kind(id) {
    return id.indexOf("+") >= 0 ? "family" : LEX.kind[id];
  }

  function persian(id) {
    var cut = id.indexOf("+"), base, suffix;
    if (cut >= 0) {
      base = persian(id.slice(0, cut));
      suffix = persian(id.slice(cut + 1));
      return base === null || suffix === null ? null : base + suffix;
    }
    return get(LEX.fa, id);
  }

  function lookup(token) {
    return get(LEX.names, fold(token));
  }

  function derive(folded) {
    var i, form, base, derived;
    for (i = 0; i < LEX.suffixes.length; i++) {
      form = LEX.suffixes[i][0];
      if (endsWith(folded, form) && folded.length - form.length >= 2) {
        base = get(LEX.names, folded.slice(0, folded.length - form.length));
        if (base !== null && (LEX.kind[base] === "given" || LEX.kind[base] === "family")) {
          derived = base + "+" + LEX.suffixes[i][1];
          return get(LEX.alias, derived) || derived;
        }
      }
    }
    return null;
  }

  function split(folded, depth) {
    var cut, left, rest, right, composed, more;
    for (cut = folded.length - 2; cut > 1; cut--) {
      left = get(LEX.names, folded.slice(0, cut));
      if (left === null || !GIVEN_KINDS[LEX.kind[left]]) { continue; }
      rest = folded.slice(cut);
      right = get(LEX.names, rest);
      if (right !== null && LEX.kind[right] === "particle") {
        composed = get(LEX.names, fold((persian(left) || "") + (persian(right) || "")));
        return composed !== null ? [composed] : [left, right];
      }
      if (right !== null && LEX.kind[right] !== "prefix") { return [left, right]; }
      if (depth < 2) {
        more = split(rest, depth + 1);
        if (more !== null) { return [left].concat(more); }
      }
    }
    return null;
  }

  function resolve(token) {
    var folded = fold(token), direct, derived;
    if (!folded) { return null; }
    direct = get(LEX.names, folded);
    if (direct !== null) { return [direct]; }
    derived = derive(folded);
    if (derived !== null) { return [derived]; }
    return split(folded, 0);
  }

  function suffixId(token) {
    var folded = fold(token), i;
    for (i = 0; i < LEX.suffixes.length; i++) {
      if (LEX.suffixes[i][0] === folded) { return LEX.suffixes[i][1]; }
    }
    return null;
  }

  // --- names.py -----------------------------------------------------------------------

  var SEPARATORS = new RegExp("([" + WS + "\\u200c\\-\\u2010-\\u2015_/\\\\.,;:()\\[\\]{}\"\u00ab\u00bb+|*]+)");
  var GLUE = { "\u200c": true, "-": true, "\u2010": true, "\u2011": true };

  function joinWords(left, right) {
    if (hasPersianLetters(left) || hasPersianLetters(right)) { return left + ZWNJ + right; }
    return left + right.toLowerCase();
  }

  function allGlue(sep) {
    for (var i = 0; i < sep.length; i++) { if (!GLUE[sep.charAt(i)]) { return false; } }
    return true;
  }

  function nameTokens(text, joinAllSuffixes) {
    var pieces = normalizeScript(text).split(SEPARATORS);
    var out = [], pending = "", i, token, folded, glued, entry, suffix, joins, last;
    for (i = 0; i < pieces.length; i += 2) {
      token = pieces[i];
      glued = i > 0 && allGlue(pieces[i - 1]);
      if (!token) { continue; }
      folded = fold(token);
      if (pending) {
        token = pending + token;
        pending = "";
        folded = fold(token);
      }
      if (!hasPersianLetters(token) && LEX.articles[folded]) {
        if (out.length && /^ab[duo]$/.test(fold(out[out.length - 1]))) {
          out[out.length - 1] += token.toLowerCase();
        } else {
          pending = token;
        }
        continue;
      }
      last = out.length ? fold(out[out.length - 1]) : null;
      if (out.length && (last === "\u0639\u0628\u062f" || last === "\u0627\u0628\u0648") &&
          startsWith(token, "\u0627\u0644") && token.length > 2) {
        out[out.length - 1] += token;
        continue;
      }
      entry = lookup(token);
      if (out.length && entry !== null && kind(entry) === "particle") {
        out[out.length - 1] = joinWords(out[out.length - 1], token);
        continue;
      }
      suffix = suffixId(token);
      joins = joinAllSuffixes || glued || out.length >= 2;
      if (out.length && suffix !== null && LEX.detached[suffix] && joins) {
        out[out.length - 1] = joinWords(out[out.length - 1], token);
        continue;
      }
      if (out.length && glued) {
        out[out.length - 1] = out[out.length - 1] +
          (hasPersianLetters(out[out.length - 1] + token) ? ZWNJ : "-") + token;
        continue;
      }
      out.push(token);
    }
    if (pending) { out.push(pending); }
    return out;
  }

  function isGiven(token) {
    var ids = resolve(token), i, k;
    if (ids === null) { return false; }
    for (i = 0; i < ids.length; i++) {
      k = kind(ids[i]);
      if (k !== "given" && k !== "prefix" && k !== "particle") { return false; }
    }
    return true;
  }

  function gluedTitle(word) {
    var cut, head, rest, first;
    for (cut = 2; cut < word.length - 1; cut++) {
      head = word.slice(0, cut).replace(/[-\u200c]+$/, "");
      rest = word.slice(cut).replace(/^[-\u200c]+/, "");
      if (LEX.gluedTitles[fold(head)] && isGiven(rest)) {
        first = head.charAt(0);
        return [head, first !== first.toLowerCase() ?
          rest.charAt(0).toUpperCase() + rest.slice(1) : rest];
      }
    }
    return null;
  }

  function stripTitles(tokens) {
    var words = tokens.slice(), kept = [], glued, i;
    while (words.length) {
      if (words.length > 1 && LEX.titles[fold(words[0])]) {
        words.shift();
      } else if ((glued = gluedTitle(words[0])) !== null) {
        words[0] = glued[1];
      } else {
        break;
      }
    }
    for (i = 0; i < words.length; i++) {
      if (!(i > 0 && i < words.length - 1 && words.length > 2 && LEX.innerTitles[fold(words[i])])) {
        kept.push(words[i]);
      }
    }
    return kept;
  }

  // --- skeleton.py --------------------------------------------------------------------

  var PERSIAN_CLASS = {
    "\u0628": "b", "\u067e": "p", "\u062a": "t", "\u0637": "t", "\u062b": "s", "\u0633": "s",
    "\u0635": "s", "\u062c": "j", "\u0698": "j", "\u0686": "C", "\u062d": "h", "\u0647": "h",
    "\u062e": "X", "\u062f": "d", "\u0630": "z", "\u0632": "z", "\u0636": "z", "\u0638": "z",
    "\u0631": "r", "\u0634": "S", "\u063a": "G", "\u0642": "G", "\u0641": "f", "\u06a9": "k",
    "\u06af": "g", "\u0644": "l", "\u0645": "m", "\u0646": "n"
  };
  var LATIN_UNITS = [["dsch", "j"], ["tch", "C"], ["sch", "S"], ["kh", "X"], ["gh", "G"],
    ["sh", "S"], ["ch", "C"], ["zh", "j"], ["dj", "j"], ["ph", "f"], ["ck", "k"], ["b", "b"],
    ["p", "p"], ["t", "t"], ["s", "s"], ["j", "j"], ["h", "h"], ["x", "X"], ["d", "d"],
    ["z", "z"], ["r", "r"], ["q", "G"], ["f", "f"], ["k", "k"], ["c", "k"], ["g", "g"],
    ["l", "l"], ["m", "m"], ["n", "n"]];
  var LATIN_CODE = {};
  var LATIN_UNIT = (function () {
    var units = [], i;
    for (i = 0; i < LATIN_UNITS.length; i++) {
      units.push(LATIN_UNITS[i][0]);
      LATIN_CODE[LATIN_UNITS[i][0]] = LATIN_UNITS[i][1];
    }
    return new RegExp(units.join("|"), "g");
  })();

  function collapse(codes) {
    return codes.replace(/(.)\1+/g, "$1");
  }

  function persianSkeleton(word) {
    var letters = (normalizeScript(word).match(PERSIAN_LETTERS) || []).join(""), codes = "", i;
    if ((endsWith(letters, "\u0647") || endsWith(letters, "\u062d")) && letters.length > 1) {
      letters = letters.slice(0, -1);
    }
    var finalI = endsWith(letters, "\u06cc") && letters.length > 1;
    for (i = 0; i < letters.length; i++) { codes += PERSIAN_CLASS[letters.charAt(i)] || ""; }
    return collapse(codes + (finalI ? "y" : ""));
  }

  function latinSkeleton(word) {
    var letters = toAsciiLatin(word).toLowerCase().replace(/[^a-z]/g, ""), n = letters.length;
    var silentIh = n > 2 && endsWith(letters, "ih") && "iye".indexOf(letters.charAt(n - 3)) < 0;
    if (n > 1 && letters.charAt(n - 1) === "h" && "kgsczdtp".indexOf(letters.charAt(n - 2)) < 0) {
      letters = letters.slice(0, -1);
    }
    var finalI = letters.length > 1 && !silentIh && /(?:[iy]|ee|[iy]e)$/.test(letters);
    var units = letters.match(LATIN_UNIT) || [], codes = "", i;
    for (i = 0; i < units.length; i++) { codes += LATIN_CODE[units[i]]; }
    return collapse(codes + (finalI ? "y" : ""));
  }

  function skeleton(word) {
    return PERSIAN_LETTER.test(word) ? persianSkeleton(word) : latinSkeleton(word);
  }

  // --- keys.py ------------------------------------------------------------------------

  var TRANSLIT = {
    "\u0627": "a", "\u0622": "a", "\u0628": "b", "\u067e": "p", "\u062a": "t", "\u062b": "s",
    "\u062c": "j", "\u0686": "ch", "\u062d": "h", "\u062e": "kh", "\u062f": "d", "\u0630": "z",
    "\u0631": "r", "\u0632": "z", "\u0698": "zh", "\u0633": "s", "\u0634": "sh", "\u0635": "s",
    "\u0636": "z", "\u0637": "t", "\u0638": "z", "\u0639": "", "\u063a": "gh", "\u0641": "f",
    "\u0642": "gh", "\u06a9": "k", "\u06af": "g", "\u0644": "l", "\u0645": "m", "\u0646": "n",
    "\u0648": "u", "\u0647": "h", "\u06cc": "i", "\u0626": "", "\u0621": "", "\u0624": "u"
  };

  function idSkeleton(id) {
    var reference;
    if (id.indexOf("+") < 0 && Object.prototype.hasOwnProperty.call(LEX.sk, id)) {
      return LEX.sk[id];
    }
    reference = persian(id);
    return skeleton(reference === null ? id : reference);
  }

  function unknownPhonetic(word) {
    var text, out = "", i, ch, mapped;
    if (!hasPersianLetters(word)) { return fold(word); }
    text = normalizeScript(word);
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      mapped = TRANSLIT[ch];
      mapped = mapped === undefined ? ch : mapped;
      out += mapped.replace(/[^\x00-\x7f]/g, "");
    }
    return out;
  }

  /** Keys of a name: {canonical: [...], skeletons: [...], phonetic: [...]}. */
  function nameKeys(text, family) {
    var keys = { canonical: [], skeletons: [], phonetic: [] };
    if (!text) { return keys; }
    var words = stripTitles(nameTokens(text, !!family)), pieces = [], i, j, ids, word, sk, parts;
    for (i = 0; i < words.length; i++) {
      word = words[i];
      if (resolve(word) === null && (word.indexOf("-") >= 0 || word.indexOf(ZWNJ) >= 0)) {
        parts = word.split(/[-\u200c]/);
        for (j = 0; j < parts.length; j++) { if (parts[j]) { pieces.push(parts[j]); } }
      } else {
        pieces.push(word);
      }
    }
    for (i = 0; i < pieces.length; i++) {
      word = pieces[i];
      ids = resolve(word);
      if (ids === null) {
        sk = skeleton(word);
        if (!sk) { continue; }
        keys.canonical.push(null);
        keys.skeletons.push(sk);
        keys.phonetic.push(unknownPhonetic(word));
        continue;
      }
      for (j = 0; j < ids.length; j++) {
        keys.canonical.push(ids[j]);
        keys.skeletons.push(idSkeleton(ids[j]));
        keys.phonetic.push(ids[j]);
      }
    }
    return keys;
  }

  /** [part, key] of every index key of a name; part -1 is the whole-name key. */
  function keyStrings(keys) {
    var out = [], i;
    for (i = 0; i < keys.skeletons.length; i++) {
      if (keys.canonical[i]) { out.push([i, "c:" + keys.canonical[i]]); }
      if (keys.skeletons[i]) { out.push([i, "s:" + keys.skeletons[i]]); }
      if (keys.phonetic[i]) { out.push([i, "p:" + keys.phonetic[i]]); }
    }
    if (keys.skeletons.length > 1 && keys.skeletons.join("")) {
      out.push([-1, "w:" + keys.skeletons.join("")]);
    }
    return out;
  }

  // --- loading data files -------------------------------------------------------------

  var base = "";
  var loaded = {};   // file -> true once its callback ran
  var waiting = {};  // file -> [callbacks]
  var shards = null;
  var index = {};    // key -> [victim numbers]
  var people = {};   // victim number -> row
  var chunkSize = 1;

  function load(file, done) {
    if (loaded[file]) { done(); return; }
    if (waiting[file]) { waiting[file].push(done); return; }
    waiting[file] = [done];
    var script = document.createElement("script");
    script.src = base + file;
    script.charset = "utf-8";
    script.onerror = function () { finish(file); };
    document.head.appendChild(script);
  }

  function finish(file) {
    var calls = waiting[file] || [], i;
    loaded[file] = true;
    delete waiting[file];
    for (i = 0; i < calls.length; i++) { calls[i](); }
  }

  function loadAll(files, done) {
    var left = files.length, i;
    if (!left) { done(); return; }
    for (i = 0; i < files.length; i++) {
      load(files[i], function () { left -= 1; if (left === 0) { done(); } });
    }
  }

  // The word sets arrive as sorted lists; lookups want them as sets.
  function prepare(data) {
    var sets = ["titles", "innerTitles", "gluedTitles", "articles", "detached"], i, j, set;
    for (i = 0; i < sets.length; i++) {
      set = Object.create(null);
      for (j = 0; j < data[sets[i]].length; j++) { set[data[sets[i]][j]] = true; }
      data[sets[i]] = set;
    }
    foldCache = Object.create(null);
    return data;
  }

  global.dadkhahiLexicon = function (data) {
    LEX = prepare(data);
    finish("lexicon.js");
  };

  global.dadkhahiShards = function (data) {
    shards = data;
    chunkSize = data.chunk;
    finish("shards.js");
  };

  global.dadkhahiIndex = function (file, postings) {
    var key, list, i, n;
    for (key in postings) {
      if (postings.hasOwnProperty(key)) {
        // Victim numbers are stored as gaps from the one before.
        list = postings[key];
        for (i = 0, n = 0; i < list.length; i++) { n += list[i]; list[i] = n; }
        index[key] = list;
      }
    }
    finish(file);
  };

  global.dadkhahiPeople = function (file, first, rows) {
    for (var i = 0; i < rows.length; i++) { people[first + i] = rows[i]; }
    finish(file);
  };

  // The shard holding a key: the longest prefix of it that has a shard file.
  function shardOf(key) {
    for (var n = key.length; n >= shards.min; n--) {
      if (Object.prototype.hasOwnProperty.call(shards.files, key.slice(0, n))) {
        return shards.files[key.slice(0, n)];
      }
    }
    return null;
  }

  /** Search the loaded data; calls back with {hits: [[victim, matched]], parts}. */
  function search(text, done) {
    loadAll(["lexicon.js", "shards.js"], function () {
      if (!LEX || !shards) { done(null); return; }
      var query = nameKeys(text, false), wanted = keyStrings(query), partOf = {}, files = [];
      var parts = Math.max(1, query.skeletons.length), i, file;
      for (i = 0; i < wanted.length; i++) {
        if (!Object.prototype.hasOwnProperty.call(partOf, wanted[i][1])) {
          partOf[wanted[i][1]] = wanted[i][0];
          file = shardOf(wanted[i][1]);
          if (file !== null && files.indexOf(file) < 0) { files.push(file); }
        }
      }
      loadAll(files, function () {
        // Rank as the server's search does: query parts matched (a whole-name match
        // stands for all of them), then victim order.
        var matched = {}, key, list, j, n, hits = [];
        for (key in partOf) {
          if (!partOf.hasOwnProperty(key) || !index[key]) { continue; }
          list = index[key];
          for (j = 0; j < list.length; j++) {
            n = list[j];
            if (!matched[n]) { matched[n] = {}; }
            matched[n][partOf[key]] = true;
          }
        }
        for (key in matched) {
          if (matched.hasOwnProperty(key)) {
            n = 0;
            for (j in matched[key]) { if (matched[key].hasOwnProperty(j)) { n += 1; } }
            if (matched[key]["-1"]) { n += parts; }
            hits.push([Number(key), n]);
          }
        }
        hits.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
        done({ hits: hits, parts: parts, keys: wanted });
      });
    });
  }

  function peopleFiles(hits) {
    var files = [], i, file;
    for (i = 0; i < hits.length; i++) {
      file = "p-" + Math.floor(hits[i][0] / chunkSize) + ".js";
      if (files.indexOf(file) < 0) { files.push(file); }
    }
    return files;
  }

  // --- the page -----------------------------------------------------------------------

  var PERSIAN_DIGITS = "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9";

  function digits(n, lang) {
    var text = String(n);
    if (lang !== "fa") { return text; }
    return text.replace(/[0-9]/g, function (d) { return PERSIAN_DIGITS.charAt(Number(d)); });
  }

  function say(box, message, n, lang) {
    var status = box.querySelector("[data-search-status]");
    if (status) {
      status.textContent = (box.getAttribute("data-msg-" + message) || "")
        .replace("{n}", digits(n, lang));
    }
  }

  function show(box, text) {
    var lang = box.getAttribute("data-lang") || "en";
    var limit = Number(box.getAttribute("data-limit") || 20);
    var page = box.getAttribute("data-page") || "{id}.html";
    var list = box.querySelector("[data-search-results]");
    text = text.replace(/^\s+|\s+$/g, "");
    if (!text) { list.innerHTML = ""; say(box, "empty", 0, lang); return; }
    say(box, "busy", 0, lang);
    search(text, function (answer) {
      if (answer === null) { say(box, "error", 0, lang); return; }
      var hits = answer.hits.slice(0, limit);
      loadAll(peopleFiles(hits), function () {
        var i, row, item, link, name, other, note;
        while (list.firstChild) { list.removeChild(list.firstChild); }
        for (i = 0; i < hits.length; i++) {
          row = people[hits[i][0]];
          if (!row) { continue; }
          // row: [id, Persian name, Latin name, {lang: note}]
          item = document.createElement("li");
          link = document.createElement("a");
          link.href = page.replace("{id}", encodeURIComponent(row[0]));
          name = document.createElement("bdi");
          name.textContent = (lang === "fa" ? row[1] || row[2] : row[2] || row[1]) || row[0];
          link.appendChild(name);
          item.appendChild(link);
          other = lang === "fa" ? row[2] : row[1];
          if (other && other !== name.textContent) {
            item.appendChild(document.createTextNode(" \u2014 "));
            note = document.createElement("bdi");
            note.textContent = other;
            item.appendChild(note);
          }
          if (row[3] && row[3][lang]) {
            note = document.createElement("span");
            note.className = "search-note";
            note.textContent = " (" + row[3][lang] + ")";
            item.appendChild(note);
          }
          list.appendChild(item);
        }
        say(box, answer.hits.length ? (answer.hits.length > hits.length ? "more" : "found")
          : "none", answer.hits.length, lang);
      });
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-dadkhahi-search]"), i;
    for (i = 0; i < boxes.length; i++) { wire(boxes[i]); }
  }

  function wire(box) {
    var form = box.querySelector("form"), input = box.querySelector("input"), timer = null;
    base = box.getAttribute("data-index") || "";
    form.onsubmit = function (event) {
      event.preventDefault();
      show(box, input.value);
      return false;
    };
    input.oninput = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { show(box, input.value); }, 250);
    };
    box.removeAttribute("hidden");
    var off = box.parentNode.querySelector("[data-search-nojs]");
    if (off) { off.setAttribute("hidden", ""); }
    // A query in the address (search.html#q=...) stays in the browser: fragments are
    // never sent to a server.
    var q = /(?:^|[#&])q=([^&]*)/.exec(global.location.hash || "");
    if (q) {
      input.value = decodeURIComponent(q[1].replace(/\+/g, " "));
      show(box, input.value);
    }
  }

  global.dadkhahiSearch = {
    nameKeys: nameKeys,
    keyStrings: keyStrings,
    skeleton: skeleton,
    fold: fold,
    normalizeScript: normalizeScript,
    search: search,
    setLexicon: function (data) { LEX = prepare(data); }
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(this);
