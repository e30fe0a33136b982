// The review page's live counters. Bluesky's and Mastodon's (graphemes, see networkLength) and X's weighted
// length (twitter-text v3) as bot/tweets/length.py counts it:
// URLs by bot/tweets/entities.py's own patterns (a port of twitter-text's JS regexes, sent by the server in
// /assets/length-data.js), emoji sequences by a line-for-line port of the `emoji` package's tokenizer over the
// same table, so that it agrees with bot.tweet.weighted_length on every keystroke. Why not the official JS
// `twitter-text` itself: its twemoji parser predates Emoji 12.1 (the phoenix counts 5, not 2 as on X), and its
// npm build needs a bundler; the page ships as it is, with no build step and no CDN.
(function () {
  "use strict";
  var DATA = window.BOT_LENGTH_DATA || { emoji: {}, component: 1, max_url: 4096, max_slug: 40, max_label: 63 };
  var EMOJI = new Map(Object.entries(DATA.emoji));
  var ZWJ = "\u200d";
  var MAX = 280, URL_WEIGHT = 23;
  var LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];

  // The trie of emoji sequences, by code point (as emoji.tokenizer.get_search_tree builds it).
  var TREE = new Map();
  EMOJI.forEach(function (_status, key) {
    var node = { kids: TREE, data: false };
    Array.from(key).forEach(function (ch) {
      if (!node.kids.has(ch)) node.kids.set(ch, { kids: new Map(), data: false });
      node = node.kids.get(ch);
    });
    node.data = true;
  });

  // twitter-text's extractUrlsWithIndices and the spans parseTweet weighs 23, as bot/tweets/entities.py ports
  // them (url_weight_spans); the patterns are that module's own.
  // No u flag: twitter-text's regexes (and bot/tweets/entities.py's) run on UTF-16 units.
  var URL_RE = new RegExp(DATA.url || "(?!)", "g");
  var ASCII_DOMAIN = new RegExp(DATA.ascii_domain || "(?!)", "g");
  var TCO = new RegExp(DATA.tco || "(?!)");

  // RFC 3492 Punycode (as punycode.js and Python's codec encode a label): only its length matters here.
  function adapt(delta, points, first) {
    delta = first ? Math.floor(delta / 700) : delta >> 1;
    delta += Math.floor(delta / points);
    var k = 0;
    for (; delta > 455; k += 36) delta = Math.floor(delta / 35);
    return Math.floor(k + 36 * delta / (delta + 38));
  }

  function punycode(input) {
    var cps = Array.from(input).map(function (c) { return c.codePointAt(0); });
    var n = 128, delta = 0, bias = 72, out = [];
    cps.forEach(function (c) { if (c < 128) out.push(String.fromCharCode(c)); });
    var b = out.length, h = b;
    if (b) out.push("-");
    while (h < cps.length) {
      var m = Infinity;
      cps.forEach(function (c) { if (c >= n && c < m) m = c; });
      delta += (m - n) * (h + 1);
      n = m;
      for (var i = 0; i < cps.length; i++) {
        var c = cps[i];
        if (c < n) delta++;
        if (c === n) {
          var q = delta;
          for (var k = 36; ; k += 36) {
            var t = k <= bias ? 1 : (k >= bias + 26 ? 26 : k - bias);
            if (q < t) break;
            var d = t + (q - t) % (36 - t);
            out.push(String.fromCharCode(d + 22 + (d < 26 ? 75 : 0)));
            q = Math.floor((q - t) / (36 - t));
          }
          out.push(String.fromCharCode(q + 22 + (q < 26 ? 75 : 0)));
          bias = adapt(delta, h + 1, h === b);
          delta = 0;
          h++;
        }
      }
      delta++;
      n++;
    }
    return out.join("");
  }

  function punycodeLength(label) {
    return /^[\x20-\x7e]*$/.test(label) ? label.length : 4 + punycode(label).length;
  }

  function toAscii(domain) {
    if (domain.startsWith("xn--")) { ASCII_DOMAIN.lastIndex = 0; if (!ASCII_DOMAIN.test(domain)) return null; }
    var labels = domain.split(".");
    for (var i = 0; i < labels.length; i++) {
      var parts = labels[i].split(/[.\u3002\uff0e\uff61]/), total = 0;
      for (var k = 0; k < parts.length; k++) total += punycodeLength(parts[k]) + (k ? 1 : 0);
      if (total < 1 || total > DATA.max_label) return null;
    }
    return domain;
  }

  function validUrl(url, protocol, domain) {
    var ascii = toAscii(domain);
    if (!ascii) return false;
    return protocol.length + url.length + ascii.length - domain.length <= DATA.max_url;
  }

  function urlSpans(text) {
    if (!text || text.indexOf(".") < 0) return [];
    var found = [], m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      var before = m[1] || "", url = m[2], protocol = m[3], domain = m[4], path = m[6];
      var start = m.index + before.length, end = start + url.length;
      if (!validUrl(url, protocol || "https://", domain)) continue;
      if (!protocol) {
        if (before && "-_./".indexOf(before[before.length - 1]) >= 0) continue;
        var asciiFound = [], a, domainStart = start + url.indexOf(domain);
        ASCII_DOMAIN.lastIndex = 0;
        while ((a = ASCII_DOMAIN.exec(domain)) !== null) {
          asciiFound.push([domainStart + a.index, domainStart + a.index + a[0].length]);
          if (a[0].length === 0) ASCII_DOMAIN.lastIndex++;
        }
        if (!asciiFound.length) continue;
        if (path) {
          // the path joins the last host; parseTweet weighs len(url) units from its start, and twitter-text's
          // url there is the text with the whole domain replaced by that host (entities.url_weight_spans)
          var last = asciiFound[asciiFound.length - 1];
          var host = text.slice(last[0], last[1]);
          last[1] = Math.min(last[0] + url.replace(domain, host).length, text.length);
        }
        found = found.concat(asciiFound);
        continue;
      }
      var tco = TCO.exec(url);
      if (tco) {
        if (tco[1].length > DATA.max_slug) continue;
        end = start + tco[0].length;
      }
      found.push([start, end]);
    }
    return found;
  }

  function cpLength(s) { return Array.from(s).length; }

  function compare(a, b) {
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1; }
    return 0;
  }

  function light(code) { return LIGHT.some(function (r) { return r[0] <= code && code <= r[1]; }); }

  // emoji.tokenize(text, keep_zwj=False), by code point; returns [start, end] in UTF-16 units.
  function emojiSpans(text) {
    var cps = Array.from(text), offsets = [0];
    cps.forEach(function (ch, k) { offsets.push(offsets[k] + ch.length); });
    var out = [], result = [], ignore = new Set(), i = 0, n = cps.length;
    function flush() { result.forEach(function (t) { if (t.match) out.push([offsets[t.start], offsets[t.end]]); }); result = []; }
    while (i < n) {
      var consumed = false, ch = cps[i];
      if (ignore.has(i)) { i++; continue; }
      if (TREE.has(ch)) {
        var j = i + 1, node = TREE.get(ch);
        while (j < n && node.kids.has(cps[j])) {
          if (ignore.has(j)) break;
          node = node.kids.get(cps[j]);
          j++;
        }
        if (node.data) {
          result.push({ chars: cps.slice(i, j).join(""), start: i, end: j, match: true });
          i = j - 1;
          consumed = true;
        }
      } else if (ch === ZWJ && result.length && EMOJI.has(result[result.length - 1].chars) && i > 0 && TREE.has(cps[i - 1])) {
        ignore.add(i);
        var last = result[result.length - 1];
        if (EMOJI.get(last.chars) === DATA.component) {
          var back = result.slice(-2).reduce(function (a, t) { return a + cpLength(t.chars); }, 0);
          i = i - back;
          if (cps[i] === ZWJ) { i += 1; result.pop(); } else { result.splice(-2, 2); }
        } else {
          i = i - cpLength(last.chars);
          result.pop();
        }
        continue;
      } else if (result.length) {
        flush();
      }
      if (!consumed && ch !== "\ufe0e" && ch !== "\ufe0f") result.push({ chars: ch, match: false });
      i++;
    }
    flush();
    return out;
  }

  function entities(text) {
    var found = urlSpans(text).map(function (s) { return [s[0], s[1], URL_WEIGHT]; });
    emojiSpans(text).forEach(function (s) {
      var piece = text.slice(s[0], s[1]);
      // "©" or "®" without U+FE0F is text, not an emoji sequence, for twitter-text: it weighs 1
      if (cpLength(piece) === 1 && light(piece.codePointAt(0))) return;
      if (!found.some(function (u) { return u[0] < s[1] && s[0] < u[1]; })) found.push([s[0], s[1], 2]);
    });
    return found.sort(compare);
  }

  function plainWeight(s) {
    var total = 0;
    for (var ch of s) {
      var code = ch.codePointAt(0);
      total += light(code) ? 1 : 2;
    }
    return total;
  }

  function weightedLength(input) {
    var text = input.normalize("NFC"), total = 0, pos = 0;
    entities(text).forEach(function (e) {
      total += plainWeight(text.slice(pos, e[0])) + e[2];
      pos = e[1];
    });
    return total + plainWeight(text.slice(pos));
  }

  // Extended grapheme clusters (UAX #29), the unit Bluesky and Mastodon count, as bot/tweets/length.py's
  // graphemes() counts them with `regex`'s \X.
  var SEGMENTER = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  function graphemes(s) {
    if (!SEGMENTER) return Array.from(s).length;
    var n = 0;
    for (var _ of SEGMENTER.segment(s)) n++;  // eslint-disable-line no-unused-vars
    return n;
  }

  // bot/networks/bluesky/length.py: 300 graphemes and 3000 bytes folded into one number.
  function blueskyLength(input) {
    var text = input.normalize("NFC");
    var size = new TextEncoder().encode(text).length;
    return Math.max(graphemes(text), Math.ceil(size * 300 / 3000));
  }

  // bot/networks/mastodon/length.py: graphemes, each http(s) URL counted as the instance's per-URL count.
  function mastodonLength(input, perUrl) {
    var text = input.normalize("NFC"), total = 0, pos = 0;
    urlSpans(text).forEach(function (s) {
      if (!/^https?:\/\//i.test(text.slice(s[0], s[1]))) return;
      total += graphemes(text.slice(pos, s[0])) + perUrl;
      pos = s[1];
    });
    return total + graphemes(text.slice(pos));
  }

  // bot/networks/linkedin/length.py: UTF-16 units (a JS string's length) of the post as sent, each little-text
  // reserved character escaped with a backslash (so counted twice).
  function linkedinLength(text) {
    return text.length + (text.match(/[\\|{}@\[\]()<>#*_~]/g) || []).length;
  }

  // bot/networks/threads/length.py: a code point each, a grapheme holding an emoji its UTF-8 bytes.
  function threadsLength(text) {
    var total = 0, parts = SEGMENTER ? Array.from(SEGMENTER.segment(text), function (g) { return g.segment; })
                                     : Array.from(text);
    parts.forEach(function (g) {
      total += /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(g) ? new TextEncoder().encode(g).length
                                                                            : Array.from(g).length;
    });
    return total;
  }

  function networkLength(text, network, urlWeight) {
    if (network === "bluesky") return blueskyLength(text);
    if (network === "mastodon") return mastodonLength(text, urlWeight || 23);
    if (network === "linkedin") return linkedinLength(text);
    if (network === "threads") return threadsLength(text);
    return weightedLength(text);
  }

  window.weightedLength = weightedLength;
  window.networkLength = networkLength;

  function update(area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (!out) return;
    // A textarea's value has "\n" line ends; the form sends "\r\n", which the server turns back into "\n".
    var limit = parseInt(area.getAttribute("data-limit"), 10) || MAX;
    var n = networkLength(area.value, area.getAttribute("data-network") || "x",
                          parseInt(area.getAttribute("data-url-weight"), 10) || 0);
    out.textContent = n + "/" + limit;
    out.classList.toggle("over", n > limit);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      area.addEventListener("input", function () { update(area); });
      update(area);
    });
  });
})();
