package api

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// redactHandler passes records to the user's handler with every known
// secret scrubbed from the message and from string attributes, so a
// passcode echoed by a broker never reaches a log; and only the records
// LogLevel wants.
type redactHandler struct {
	inner slog.Handler
	scrub func(string) string
	// level is LogLevel, shared by the handlers WithAttrs and WithGroup
	// make.
	level *atomic.Int32
}

// Enabled applies LogLevel, then the user's handler's own level: 0 takes
// nothing, 1 errors, warnings and info, 2 and up the debug records too
// (the verbose lines; frame lines, made only at 3, are debug records).
func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return logLevelTakes(int(h.level.Load()), l) && h.inner.Enabled(ctx, l)
}

// logLevelTakes reports whether LogLevel n takes a record of level l.
func logLevelTakes(n int, l slog.Level) bool {
	switch {
	case n <= 0:
		return false
	case l >= slog.LevelInfo:
		return true
	}
	return n >= 2
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.scrub(a.Value.String()))
	case slog.KindGroup:
		g := a.Value.Group()
		out := make([]any, len(g))
		for i, x := range g {
			out[i] = h.attr(x)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny, slog.KindLogValuer:
		v := a.Value.Resolve()
		if v.Kind() == slog.KindString || v.Kind() == slog.KindGroup {
			return h.attr(slog.Attr{Key: a.Key, Value: v})
		}
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.scrub(err.Error()))
		}
		return slog.Attr{Key: a.Key, Value: v}
	}
	return a
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(out), scrub: h.scrub, level: h.level}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), scrub: h.scrub, level: h.level}
}
