package arsenalotel

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/infra-arsenal/arsenal"
)

// Gauge units map to the UCUM units OpenTelemetry expects; units without
// one become an annotation.
func TestUnitsMapToUCUM(t *testing.T) {
	for u, want := range map[arsenal.Unit]string{
		arsenal.UnitBytes: "By", arsenal.UnitSeconds: "s", arsenal.UnitUnixTime: "s", arsenal.UnitRatio: "1",
		arsenal.UnitBool: "", arsenal.UnitCount: "{count}", arsenal.UnitCode: "{code}",
	} {
		assert.Equal(t, want, unitOf(u), "unit %q", u)
	}
}
