// Package words is the sensitive-word list matcher of the confidentiality
// stage. Admins edit a versioned list of words; for each draft it finds
// every occurrence of every listed word, overlapping and nested ones
// included, after normalising the text so that full-width letters, capitals
// and noise slipped between the characters ("敏*感*词", "敏 感 词") do not
// hide a word. Each match is given as rune offsets into the original text,
// so the UI highlights what the drafter actually wrote, and each finding
// names the list version that flagged it.
//
// # Normalisation
//
// The same rules apply to the words of the list and to the text, so the two
// cannot drift apart (one implementation serves Normalize, NewMatcher and
// FindAll), and the first of them is the fold every other detector reads a
// text with (package normal): its tables are built from normal.Fold and
// normal.FoldSegment, so the word list and the markings, numbers and dates
// see the same characters.
//
//  1. The shared fold, segment by segment (a segment is a rune and the
//     combining runes after it, at most 32 runes): NFKC (full-width Latin,
//     digits and punctuation become half-width, the ideographic space a
//     space, half-width katakana full-width, ligatures and circled forms
//     plain letters and digits, accents are composed); invisible characters
//     removed (zero-width space, ZWJ/ZWNJ, word joiner, soft hyphen, BOM,
//     bidi controls, variation selectors: they are gone before the noise
//     rule counts anything, so they never count towards its bound);
//     combining marks left by NFKC removed (敏\u0301感 is 敏感); traditional
//     characters simplified with OpenCC's character table (敏感詞 is 敏感词);
//     star and hyphen look-alikes folded (☆ is ★).
//  2. Lower-casing (unicode.ToLower) of every cased letter, Latin included.
//  3. Classing of each resulting rune, as word, noise or boundary (below).
//  4. Noise skipping: a run of 1 to 3 noise runes with a word rune on both
//     sides is dropped, so "敏*感*词", "敏 感 词", "敏·感-词" and "敏…感词"
//     all read "敏感词". Between two ASCII letters or digits a run that
//     contains a space becomes a single space instead, because there a space
//     is a real word break: "tea shop" does not contain "ash", and "NEW York"
//     with three spaces reads "new york". Longer runs, runs at either end of
//     the text and runs next to a boundary are kept as they are: a line
//     break, a clause break or a wall of symbols between two characters
//     separates them, it is not an evasion, and skipping it would flag words
//     that merely straddle two clauses ("发展中，华人" does not contain "中华").
//
// The classes:
//
//   - word: letters and digits (a Han character is a letter);
//   - noise: spaces and tabs, and the separator punctuation and symbols
//     (* - _ · ・ • . , ! ? ; : / \ | ~ … ★);
//   - boundary: line breaks; brackets and quotation marks (（）《》「」“”…);
//     the full-width clause punctuation of Chinese prose as written in the
//     original (，、。．！？；：and their small forms); anything else
//     (control characters, unassigned code points).
//
// A listed word is normalised the same way and its leading and trailing
// noise trimmed; words that end up empty are ignored.
//
// # Automaton
//
// Our own Aho-Corasick automaton over runes: the runes of the list are
// mapped to a compact alphabet (a 64K table for the BMP), the trie is laid
// out as a double array with the root's row dense, and each state carries
// its failure link and an output link to the next state on its failure chain
// where a word ends, so a scan step is one or two 16-byte loads and every
// overlapping match is reported. The normaliser feeds it 4,096 runes at a
// time with the source span of each rune, so FindAll never materialises the
// normalised text. On a 10,000-word list and 4 MB of report-style Chinese it
// builds in about 10 ms, holds about 1 MB and scans over 200 MB/s on one
// core, normalisation included, ahead of every Go library measured (the
// best held 34 MB); see docs/performance.md and the comparison module in
// comparison/.
package words
