package devtemporal

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.temporal.io/server/common/log/tag"
)

// Tags given to With reach the lines logged later, after the With tags
// before them and before the line's own; two loggers made from one parent
// do not share tags.
func TestSlogAdapterWith(t *testing.T) {
	var buf bytes.Buffer
	base := slogAdapter{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	parent := base.With(tag.NewStringTag("shard", "1")).(slogAdapter)
	a := parent.With(tag.NewStringTag("wf", "a"))
	b := parent.With(tag.NewStringTag("wf", "b"))
	a.Info("dropped: info is debug here", tag.NewStringTag("x", "1"))
	a.Warn("from a", tag.NewStringTag("n", "2"))
	b.Error("from b")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `msg="from a" shard=1 wf=a n=2`) || !strings.Contains(lines[1], `msg="from b" shard=1 wf=b`) {
		t.Fatalf("lines:\n%s", buf.String())
	}
}
