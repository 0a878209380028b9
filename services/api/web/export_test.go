package web

// DetailFormats and StoredFormats are detailFormats and storedFormats, for
// the pages' test in web_test (TestTrailPagesSpeakChinese).
var DetailFormats, StoredFormats = detailFormats, storedFormats

// SetEventsCSVChunk makes the events' CSV read n events at a time, until
// the returned function puts it back. Only a test that is not parallel
// may call it.
func SetEventsCSVChunk(n int) (restore func()) {
	old := eventsCSVChunk
	eventsCSVChunk = n
	return func() { eventsCSVChunk = old }
}
