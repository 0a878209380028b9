package web

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

func randomString() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("error making a random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
