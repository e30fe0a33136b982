// The official twitter-text 3.1.0 as an oracle: one JSON string per stdin line in, one JSON object per line out.
// Output: {"weightedLength": n, "valid": bool, "urls": [[start, end, url], ...], "cashtags": [...], "mentions": [...],
// "hashtags": [...]}; indices are UTF-16 code units, as twitter-text gives them (tests/helpers converts them).
'use strict';
const readline = require('readline');
const twttr = require('twitter-text');

function spans(entities, key) {
  return entities.map((e) => [e.indices[0], e.indices[1], e[key]]);
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
  let out;
  try {
    const text = JSON.parse(line);
    const parsed = twttr.parseTweet(text);
    out = {
      weightedLength: parsed.weightedLength,
      valid: parsed.valid,
      urls: spans(twttr.extractUrlsWithIndices(text), 'url'),
      cashtags: spans(twttr.extractCashtagsWithIndices(text), 'cashtag'),
      mentions: spans(twttr.extractMentionsWithIndices(text), 'screenName'),
      hashtags: spans(twttr.extractHashtagsWithIndices(text), 'hashtag'),
    };
  } catch (err) {
    out = { error: String(err) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
