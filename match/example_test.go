package match_test

import (
	"fmt"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
)

func ExampleNames() {
	fmt.Println(match.Names("王芳", "Wang Fang"))
	fmt.Println(match.Names("陳芳", "陈芳"))
	fmt.Println(match.Names("王女士", "王芳"))
	fmt.Println(match.Names("王芳", "王方"))
	fmt.Println(match.Names("王芳", "李芳"))
	fmt.Println(match.Names("微信用户", "王芳"))
	// Output:
	// same
	// same
	// compatible
	// close
	// different
	// unknown
}

func ExampleConsistent() {
	a := match.Person{Name: "王女士", Birthday: identity.Date{Year: 1990, Month: 3, Day: 14}}
	b := match.Person{Name: "王芳", Gender: identity.GenderFemale, Birthday: identity.Date{Year: 1990, Month: 3, Day: 14}}
	c := match.Person{Name: "王建国", Gender: identity.GenderMale}
	fmt.Println(match.Consistent(a, b))
	fmt.Println(match.Consistent(a, c))
	// Output:
	// true
	// false
}

func ExampleParseName() {
	me := match.ParseName("王芳")
	for _, other := range []string{"王 芳", "Fang Wang", "王小姐", "王伟"} {
		fmt.Println(other, me.Compare(match.ParseName(other)))
	}
	// Output:
	// 王 芳 same
	// Fang Wang same
	// 王小姐 compatible
	// 王伟 different
}
