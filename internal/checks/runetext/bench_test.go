package runetext

import (
	"strings"
	"testing"
)

var benchText = strings.Repeat("根据上级有关工作安排，结合辖区实际，围绕就业帮扶这一重点任务，开展宣传活动６７７场。\n", 40)

func foldConf(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

func BenchmarkNew(b *testing.B) {
	for _, c := range []struct {
		name string
		new  func(string, func(rune) rune) *Text
	}{{"new", New}, {"prepare", Prepare}} {
		for _, f := range []struct {
			name string
			fold func(rune) rune
		}{{"digits", FoldDigits}, {"halfwidth", foldConf}, {"none", nil}} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(benchText)))
				b.ReportAllocs()
				for b.Loop() {
					c.new(benchText, f.fold)
				}
			})
		}
	}
}
