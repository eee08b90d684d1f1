package identity_test

import (
	"errors"
	"fmt"

	"github.com/scv-go/scv/identity"
)

func ExampleParsePhone() {
	for _, raw := range []string{
		"139 8765 4320",
		"（＋８６）１３９－８７６５－４３２０",
		"17951 139 8765 4320",
		"0755-8765-4321 转 801",
		"138****5678",
		"400-820-8820",
		"13800138000",
		"139 8765 432",
	} {
		ph, err := identity.ParsePhone(raw, "CN")
		switch {
		case errors.Is(err, identity.ErrMaskedPhone):
			fmt.Println("masked:", identity.PhoneReason(err))
		case err != nil:
			fmt.Println("refused:", identity.PhoneReason(err))
		case ph.Extension() != "":
			fmt.Println(ph, "extension", ph.Extension(), "mobile:", ph.Mobile())
		default:
			fmt.Println(ph, "mobile:", ph.Mobile())
		}
	}
	// Output:
	// +8613987654320 mobile: true
	// +8613987654320 mobile: true
	// +8613987654320 mobile: true
	// +8675587654321 extension 801 mobile: false
	// masked: masked_phone
	// refused: service_phone
	// refused: placeholder_phone
	// refused: invalid_phone
}

func ExampleNewPhoneParser() {
	// The store's own landline was typed for walk-in customers.
	p, err := identity.NewPhoneParser("CN", []string{"0755-8765 4321"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = p.Parse("(0755) 87654321")
	fmt.Println(errors.Is(err, identity.ErrPlaceholderPhone))
	ph, _ := p.Parse("+86 139 8765 4320")
	fmt.Println(ph, ph.Region())
	// Output:
	// true
	// +8613987654320 CN
}
