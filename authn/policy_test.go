package authn

import (
	"errors"
	"strings"
	"testing"

	"partnerhub"
)

// fieldKey returns the message key CheckPassword gave the password field, or "".
func fieldKey(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code != partnerhub.EInvalid {
		t.Fatalf("error %v, want EInvalid", err)
	}
	return e.Fields["password"].Key
}

func TestCheckPassword(t *testing.T) {
	ctx := PasswordContext{Name: "Taro Suzuki", Email: "taro.suzuki@u-tokyo.ac.jp",
		Service: []string{"utokyo", "The University of Tokyo", "東京大学", "Strategic Partnerships"}}
	for _, tc := range []struct{ pw, key string }{
		// The findings: breached passwords and the service's name.
		{"password1234", "password_common"},
		{"qwertyuiop12", "password_common"},
		{"passwordpassword", "password_common"},
		{"utokyoutokyo", "password_personal"},
		// Case and width do not matter.
		{"PassWord1234", "password_common"},
		{"ｐａｓｓｗｏｒｄ１２３４", "password_common"},
		// A listed word with digits and symbols around it, or repeated.
		{"!!sunshine2024!!", "password_common"},
		{"dragonflydragonfly", "password_common"},
		{"abcabcabcabc", "password_common"},
		// The account's name, e-mail address and the service's names.
		{"tarosuzuki1985", "password_personal"},
		{"Suzuki-Taro-2024", "password_personal"},
		{"taro.suzuki!!", "password_personal"},
		{"partnerhub2024!", "password_personal"},
		{"PartnerHubUtokyo", "password_personal"},
		{"utokyo-tokyo-99", "password_personal"},
		{"東京大学東京大学パスワード", "password_personal"},
		{"strategicpartnerships", "password_personal"},
		// Length first, unchanged.
		{"short", "password_short"},
	} {
		if got := fieldKey(t, CheckPassword(tc.pw, ctx)); got != tc.key {
			t.Errorf("CheckPassword(%q): %q, want %q", tc.pw, got, tc.key)
		}
	}
	for _, pw := range []string{
		"tidal mango violin lanterns",
		"my tokyo garden smells of rain", // a context word among enough others
		"紫陽花の咲く坂道を歩いて帰る",
		strings.Repeat("x", 3) + "Kq9#vLm2@pRz",
	} {
		if err := CheckPassword(pw, ctx); err != nil {
			t.Errorf("CheckPassword(%q): %v, want it accepted", pw, err)
		}
	}
}

// The message names the reason, never the password.
func TestCheckPasswordDoesNotEcho(t *testing.T) {
	err := CheckPassword("password1234", PasswordContext{})
	if strings.Contains(err.Error(), "password1234") {
		t.Fatalf("error %q repeats the password", err)
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	ctx := PasswordContext{Name: "Taro Suzuki", Email: "taro.suzuki@u-tokyo.ac.jp", Service: []string{"utokyo", "The University of Tokyo"}}
	CheckPassword("warm up the list", ctx)
	b.ResetTimer()
	for range b.N {
		CheckPassword("tidal mango violin lanterns", ctx)
	}
}
