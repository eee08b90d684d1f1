package identity

// Hooks for the external tests of the phone parser, which need the
// workload's phone mix (internal/workload imports identity).
var (
	// ParsePhoneFast is the fast path with the default placeholders; ok
	// is false when it leaves the input to the reference path.
	ParsePhoneFast = func(raw string) (ph Phone, err error, ok bool) {
		return parseFast(raw, defaultPlaceholdersOnly)
	}
	// ParsePhoneReference is the reference path with the default region
	// CN and the default placeholders.
	ParsePhoneReference = func(raw string) (Phone, error) {
		return parseReference(raw, "CN", defaultPlaceholdersOnly)
	}
)
