module github.com/sanshen-gov/sanshen/internal/checks/words/comparison

go 1.26.0

require (
	github.com/BobuSumisu/aho-corasick v1.0.3
	github.com/cloudflare/ahocorasick v0.0.0-20240916140611-054963ec9396
	github.com/coregx/ahocorasick v0.3.1
	github.com/petar-dambovaliev/aho-corasick v0.0.0-20250424160509-463d218d4745
	github.com/sanshen-gov/sanshen v0.0.0
)

require golang.org/x/text v0.44.0 // indirect

replace github.com/sanshen-gov/sanshen => ../../../..
