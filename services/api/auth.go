package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/store"
)

const userKey = "sanshen.user"

// authenticate resolves the bearer token to a user for every /api/v1 route.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sanshen"`)
			return fail(http.StatusUnauthorized, "unauthorized", "send your API token as Authorization: Bearer <token>")
		}
		u, err := s.Store.UserByToken(c.Request().Context(), strings.TrimSpace(token))
		if errors.Is(err, store.ErrNotFound) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sanshen", error="invalid_token"`)
			return fail(http.StatusUnauthorized, "invalid_token", "the API token is unknown, revoked or its user disabled")
		}
		if err != nil {
			return err
		}
		c.Set(userKey, u)
		return next(c)
	}
}

func user(c echo.Context) store.User {
	u, _ := c.Get(userKey).(store.User)
	return u
}
