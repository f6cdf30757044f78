package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const canary = "s3cr3t-Canary-Value"

func TestValuePrintsRedacted(t *testing.T) {
	v := NewValue(canary)
	type holder struct {
		Pw     Value
		hidden Value
		Ptr    *Value
	}
	h := holder{Pw: v, hidden: v, Ptr: &v}
	outs := map[string]string{
		"%s":         fmt.Sprintf("%s", v),
		"%v":         fmt.Sprintf("%v", v),
		"%+v":        fmt.Sprintf("%+v", v),
		"%#v":        fmt.Sprintf("%#v", v),
		"%q":         fmt.Sprintf("%q", v),
		"%x":         fmt.Sprintf("%x", v),
		"%d":         fmt.Sprintf("%d", v),
		"Sprint":     fmt.Sprint(v),
		"Println":    fmt.Sprintln(v),
		"struct %v":  fmt.Sprintf("%v", h),
		"struct %+v": fmt.Sprintf("%+v", h),
		"struct %#v": fmt.Sprintf("%#v", h),
		"ptr %v":     fmt.Sprintf("%v", &h),
		"slice":      fmt.Sprintf("%v %+v", []Value{v}, map[string]Value{"k": v}),
		"String":     v.String(),
		"GoString":   v.GoString(),
	}
	j, err := json.Marshal(map[string]any{"v": v, "h": h})
	if err != nil {
		t.Fatal(err)
	}
	outs["json"] = string(j)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v, "h", h)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v, "h", h, "any", any(v))
	outs["slog"] = buf.String()
	for name, s := range outs {
		if strings.Contains(s, canary) || strings.Contains(s, fmt.Sprintf("%x", canary)) {
			t.Errorf("%s shows the value: %s", name, s)
		}
	}
	for _, name := range []string{"%s", "%v", "%+v", "%#v", "json", "slog", "struct %+v"} {
		if !strings.Contains(outs[name], Redacted) {
			t.Errorf("%s does not show %s: %s", name, Redacted, outs[name])
		}
	}
	if v.Reveal() != canary {
		t.Fatalf("Reveal() = %q", v.Reveal())
	}
	if !(Value{}).IsZero() || v.IsZero() || (Value{}).Reveal() != "" {
		t.Fatal("IsZero/Reveal of the zero Value")
	}
}
