package kit

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

// register adds p for the length of the test.
func register(t *testing.T, p Platform) {
	Register(p)
	t.Cleanup(func() {
		mu.Lock()
		delete(platforms, p.Name)
		mu.Unlock()
	})
}

func TestRegistryChecksNames(t *testing.T) {
	register(t, Platform{Name: "chatx", Kind: Chat, Can: Menus | Ephemeral})
	register(t, Platform{Name: "tokenchatx", Kind: Chat, Tokens: true})
	register(t, Platform{Name: "hookx", Kind: TokenOnly})

	if got, err := ChatPlatform("ChatX"); err != nil || got != "chatx" {
		t.Errorf("ChatPlatform(ChatX) = %q, %v", got, err)
	}
	if p, _ := Lookup("chatx"); p.Can&Menus == 0 || p.Can&Dialogs != 0 {
		t.Errorf("capabilities: %+v", p)
	}
	for _, name := range []string{"hookx", "chatxx", ""} {
		_, err := ChatPlatform(name)
		if opsgate.ErrorCode(err) != opsgate.EINVALID || !strings.Contains(opsgate.ErrorMessage(err), "chatx, tokenchatx") {
			t.Errorf("ChatPlatform(%q): %v", name, err)
		}
	}
	for _, name := range []string{"hookx", "tokenchatx"} {
		if _, err := TokenPlatform(name); err != nil {
			t.Errorf("TokenPlatform(%q): %v", name, err)
		}
	}
	if _, err := TokenPlatform("chatx"); !strings.Contains(opsgate.ErrorMessage(err), "use one of hookx, tokenchatx.") {
		t.Errorf("TokenPlatform(chatx): %v", err)
	}
}

func TestRegisterRefusesDuplicatesAndBadNames(t *testing.T) {
	register(t, Platform{Name: "dupx", Kind: Chat})
	for _, p := range []Platform{{Name: "dupx", Kind: Chat}, {Name: "", Kind: Chat}, {Name: "Upper", Kind: Chat}, {Name: "nokind"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", p)
				}
			}()
			Register(p)
		}()
	}
}
