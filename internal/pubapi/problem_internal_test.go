package pubapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
)

func TestProblemTable(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		detail string
	}{
		{fmt.Errorf("%w: a: %w", relay.ErrInvalid, errors.Join(errors.New("x"), errors.New("y"))), 400, "2 problems: a: x; a: y"},
		{fmt.Errorf("subscription %q: %w", "s", store.ErrConflict), 409, `subscription "s": already exists`},
		{fmt.Errorf("sqlite: %w", store.ErrClosed), 503, "sqlite: store closed"},
		{fmt.Errorf("%w: 9 bytes", errTooLarge), 413, "9 bytes"},
		{errors.New("sqlite: disk I/O error at /var/lib/herald"), 500, "has been logged"},
	} {
		p := toProblem(tc.err)
		if p.Status != tc.status || !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%v: %d %q, want %d %q", tc.err, p.Status, p.Detail, tc.status, tc.detail)
		}
		if p.Status == http.StatusInternalServerError && strings.Contains(p.Detail, "sqlite") {
			t.Errorf("500 detail leaks %q", p.Detail)
		}
	}
}

func TestLeaves(t *testing.T) {
	err := fmt.Errorf("%w: %w", relay.ErrInvalid, fmt.Errorf("events[3]: %w",
		fmt.Errorf("event: %w", errors.Join(errors.New("tenant is required"), errors.New("type is required")))))
	got := toProblem(err).Errors
	want := []string{"events[3]: event: tenant is required", "events[3]: event: type is required"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("errors %q, want %q", got, want)
	}
}
