package config

import (
	"strings"
	"testing"
	"time"
)

func TestLingers(t *testing.T) {
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.BatchLinger != 10*time.Millisecond || c.GroupLinger != 3*time.Millisecond {
		t.Fatalf("default lingers %v and %v, want 10ms and 3ms", c.BatchLinger, c.GroupLinger)
	}
	for _, name := range []string{"SANSHEN_BATCH_LINGER", "SANSHEN_GROUP_LINGER"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, "0s")
			c, err := FromEnv()
			if err != nil {
				t.Fatalf("0s refused: %v", err)
			}
			got := c.BatchLinger
			if name == "SANSHEN_GROUP_LINGER" {
				got = c.GroupLinger
			}
			if got != 0 {
				t.Fatalf("%s=0s read as %v", name, got)
			}
			for _, bad := range []string{"soon", "-1ms", "2s"} {
				t.Setenv(name, bad)
				if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), name) {
					t.Fatalf("%s=%s: error %v, want one naming the variable", name, bad, err)
				}
			}
		})
	}
}
