package web

// DetailFormats and StoredFormats are detailFormats and storedFormats, for
// the pages' test in web_test (TestTrailPagesSpeakChinese).
var DetailFormats, StoredFormats = detailFormats, storedFormats
