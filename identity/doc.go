// Package identity reads customer records from each channel's native format
// and normalises them into [Record] values keyed on the phone number.
package identity
