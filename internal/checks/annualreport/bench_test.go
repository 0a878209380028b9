package annualreport

import "testing"

func BenchmarkCheck(b *testing.B) {
	c := realReport(b)
	for b.Loop() {
		Check(c, nil)
	}
}
