package merge

import "testing"

// TestFieldIndexes requires the index constants candidates use to match
// FieldNames, so that a field added to FieldNames gets its constant.
func TestFieldIndexes(t *testing.T) {
	want := map[FieldName]int{
		FieldPersonName: idxPersonName, FieldNickname: idxNickname, FieldGender: idxGender, FieldBirthday: idxBirthday,
		FieldCountry: idxCountry, FieldProvince: idxProvince, FieldCity: idxCity, FieldDistrict: idxDistrict,
		FieldLanguage: idxLanguage, FieldEmail: idxEmail, FieldPhone: idxPhone,
	}
	if len(FieldNames) != numFields || len(want) != numFields {
		t.Fatalf("%d field names, %d constants, numFields %d", len(FieldNames), len(want), numFields)
	}
	for i, f := range FieldNames {
		if want[f] != i || fieldIndex(f) != i {
			t.Errorf("field %s is at %d in FieldNames, its constant is %d, fieldIndex says %d", f, i, want[f], fieldIndex(f))
		}
	}
	if got := fieldIndex("shoe_size"); got != numFields {
		t.Errorf("fieldIndex of an unknown field = %d, want %d", got, numFields)
	}
}
