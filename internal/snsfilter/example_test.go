package snsfilter_test

import (
	"fmt"

	"github.com/herald-dev/herald/internal/snsfilter"
)

func Example() {
	p, err := snsfilter.Parse(`{"store": ["example_corp"], "price_usd": [{"numeric": [">", 100]}]}`,
		snsfilter.ScopeMessageAttributes)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.MatchAttributes(map[string]snsfilter.Attribute{
		"store":     {Type: "String", Value: "example_corp"},
		"price_usd": {Type: "Number", Value: "210.75"},
	}))
	fmt.Println(p.MatchAttributes(map[string]snsfilter.Attribute{
		"store":     {Type: "String", Value: "example_corp"},
		"price_usd": {Type: "String", Value: "210.75"}, // a string is not a number
	}))

	_, err = snsfilter.Parse(`{"key": [{"numeric": [">", 3, "<", 1]}]}`, snsfilter.ScopeMessageAttributes)
	fmt.Println("Invalid parameter: " + err.Error())
	// Output:
	// true
	// false
	// Invalid parameter: FilterPolicy: Bottom must be less than top
	//  at [Source: (String)"{"key":[{"numeric":[">",3,"<",1]}]}"; line: 1, column: 33]
}
