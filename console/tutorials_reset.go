package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/redis"
)

// maxResetKeys bounds the keys or objects one reset deletes.
const maxResetKeys = 10000

// resetTutorial starts a tutorial again: it deletes what the tutorial
// wrote in its scratch area (the Redis keys under DemoPrefix + "tutorial:",
// the S3 objects under the demo prefix + "tutorial/"), drops the scratch
// SQLite database and the WebSocket playground, and forgets the progress.
// It touches nothing outside those areas, so it needs no Options flag.
func (d *tutorials) resetTutorial(w http.ResponseWriter, r *http.Request) {
	t, err := d.get(r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := opCtx(r)
	defer cancel()
	te, err := d.session(ctx, t)
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := te.lock(); err != nil {
		writeErr(w, err)
		return
	}
	defer te.mu.Unlock()
	deleted, err := te.clearData(ctx)
	if err != nil {
		writeErr(w, err)
		return
	}
	d.mu.Lock()
	if d.envs[t.Name] == te {
		delete(d.envs, t.Name)
	}
	d.mu.Unlock()
	te.reset = true
	te.shutdown()
	d.c.log.Info("console: tutorial reset", "tutorial", t.Name, "deleted", deleted, "target", te.target)
	writeJSON(w, map[string]any{"reset": true, "deleted": deleted})
}

// clearData deletes the tutorial's Redis keys or S3 objects.
func (te *tutorialEnv) clearData(ctx context.Context) (int, error) {
	n := 0
	switch {
	case te.env.Redis != nil:
		var keys []string
		for k, err := range te.env.Redis.ScanAll(ctx, redis.ScanOptions{Match: globEscape(te.env.Prefix) + "*", Count: 500}) {
			if err != nil {
				return n, err
			}
			if !strings.HasPrefix(k, te.env.Prefix) {
				continue // never a key outside the prefix
			}
			if keys = append(keys, k); len(keys) > maxResetKeys {
				return n, arsenal.Errorf(arsenal.ResourceExhausted, Kind, "tutorials", "more than %d keys under %s", maxResetKeys, te.env.Prefix)
			}
		}
		for _, k := range keys { // one at a time: a cluster spreads them over slots
			c, err := te.env.Redis.Del(ctx, k)
			if err != nil {
				return n, err
			}
			n += int(c)
		}
	case te.env.S3 != nil:
		var keys []string
		for o, err := range te.env.S3.List(ctx, nil) { // relative to the tutorial's Prefix
			if err != nil {
				return n, err
			}
			if keys = append(keys, o.Key); len(keys) > maxResetKeys {
				return n, arsenal.Errorf(arsenal.ResourceExhausted, Kind, "tutorials", "more than %d objects in the tutorial's folder", maxResetKeys)
			}
		}
		if len(keys) > 0 {
			if err := te.env.S3.DeleteMany(ctx, keys); err != nil {
				return n, err
			}
		}
		n = len(keys)
	}
	return n, nil
}

// globEscape quotes the characters Redis MATCH patterns treat specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
