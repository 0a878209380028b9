package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(Test, 2)
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not in the PHC format with the hasher's cost", hash)
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false,
		"Correct horse battery staple": false, "correct horse battery staple ": false} {
		if got, err := h.Verify(ctx, hash, pw); err != nil || got != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, got, err, want)
		}
	}
	// A default-cost hash made before still verifies (its cost is in it).
	if ok, _ := NewHasher(Default, 1).Verify(ctx, hash, "correct horse battery staple"); !ok {
		t.Fatal("a hash does not verify under a hasher of another cost")
	}
}

// TestOneRunPerCheck: whatever is wrong — no such person, no password, a
// hash written by hand, a wrong password — a check costs one argon2id run.
func TestOneRunPerCheck(t *testing.T) {
	h := NewHasher(Test, 1)
	ctx := context.Background()
	hash, _ := h.Hash(ctx, "a long and good passphrase")
	for _, stored := range []string{"", hash, "$argon2id$v=19$m=999999999,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA", "plaintext", "$2a$10$bcrypt"} {
		before := h.Runs()
		if ok, err := h.Verify(ctx, stored, "wrong guess at it"); ok || err != nil {
			t.Fatalf("Verify(%q) = %v, %v", stored, ok, err)
		}
		if n := h.Runs() - before; n != 1 {
			t.Errorf("checking against %q ran argon2id %d times, want 1", stored, n)
		}
	}
}

// TestSlotsCapConcurrency: never more runs at once than slots; a check that
// finds every slot taken for the whole wait is ErrBusy, not a queue.
func TestSlotsCapConcurrency(t *testing.T) {
	h := NewHasher(Test, 2)
	h.wait = 50 * time.Millisecond
	ctx := context.Background()
	// Hold both slots.
	h.slots <- struct{}{}
	h.slots <- struct{}{}
	if _, err := h.Verify(ctx, "", "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("with every slot taken: %v, want ErrBusy", err)
	}
	<-h.slots
	<-h.slots
	h.wait = DefaultWait
	var wg sync.WaitGroup
	var mu sync.Mutex
	most := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Verify(ctx, "", "x"); err != nil {
				t.Error(err)
			}
			mu.Lock()
			most = max(most, len(h.slots))
			mu.Unlock()
		}()
	}
	wg.Wait()
	if most > 2 || h.Runs() != 16 {
		t.Fatalf("%d runs at once (cap 2), %d runs in all", most, h.Runs())
	}
}

func TestCheck(t *testing.T) {
	for _, ok := range []string{"correct horse battery staple", "correct-horse-9", "我的密码是一首很长的诗句啊", "Tr0ub4dor&3-stapler",
		"春眠不觉晓处处闻啼鸟夜来风雨声花落知多少" + strings.Repeat("，床前明月光", 30)[:0] + "白日依山尽黄河入海流欲穷千里目更上一层楼", "a-new-password-1", "日照香炉生紫烟遥看瀑布挂前川", "北京欢迎你二〇〇八年八月八日"} {
		if err := Check(ok, "王信息员"); err != nil {
			t.Errorf("Check(%q) = %v, want nil", ok, err)
		}
	}
	for pw, code := range map[string]string{
		"short":                             "password_too_short",
		"elevenchars":                       "password_too_short",
		strings.Repeat("a", MaxRunes+1):     "password_too_long",
		"1qaz2wsx3edc":                      "password_common",
		"qwertyuiop123":                     "password_common",
		"password1234":                      "password_common",
		"Password1234!":                     "password_common",
		"iloveyou2024!!":                    "password_common",
		"woaini1314520":                     "password_common",
		"woaini5201314":                     "password_common",
		"123456789012":                      "password_common",
		"aaaaaaaaaaaaaa":                    "password_common",
		"abababababababab":                  "password_common",
		"passwordpassword":                  "password_common",
		"qwertyuiopasdf":                    "password_common",
		"zyxwvutsrqponm":                    "password_common",
		"sanshen2024!!":                     "password_context",
		"三审2024-12-01":                      "password_context",
		"王信息员123456789":                     "password_context",
		"bad\x00password here":              "password_invalid",
		"administrator2024":                 "password_common",
		"Admin@123456789":                   "password_common",
		"guanliyuan!2345":                   "password_context",
		strings.Repeat("我爱你", 5):            "password_common",
		"zhongguo12345678":                  "password_common",
		"ZhongHuaRenMin123":                 "password_common",
		"beijing2008beijing2008":            "password_common",
		"xinxigongkai2026":                  "password_context",
		"   password123456   ":              "password_common",
		"Passw0rd" + strings.Repeat("!", 6): "password_common",
	} {
		var w *Weak
		if err := Check(pw, "王信息员"); !errors.As(err, &w) || w.Code != code {
			t.Errorf("Check(%q) = %v, want %s", pw, err, code)
		}
	}
	if len(common()) < 30_000 {
		t.Fatalf("the bundled list has %d passwords", len(common()))
	}
}
