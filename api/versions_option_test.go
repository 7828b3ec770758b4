package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SupportedVersions is written "1.1,1.2" through Config (the reference's
// form), and the package documentation says a setting's option writes the
// same value; WithSupportedVersions("1.1,1.2") is refused instead, and
// only when Connect reports the option's error.
func TestSupportedVersionsOptionTakesTheSettingsCommaForm(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	s := newClient(t, WithSupportedVersions("1.1,1.2"))
	require.NoError(t, s.Connect(h, p))
	assert.Equal(t, "1.2", s.ProtocolVersion())
}

// Both forms mix, repeats are dropped, and a bad entry in a list is
// refused with the setting's error.
func TestSupportedVersionsOptionForms(t *testing.T) {
	s := newClient(t, WithSupportedVersions("1.0, 1.1", "1.2", "1.1"))
	v, err := s.Config("SupportedVersions")
	require.NoError(t, err)
	assert.Equal(t, "1.0,1.1,1.2", v)

	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	s = newClient(t, WithSupportedVersions("1.1,2.0"))
	err = s.Connect(h, p)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), `"2.0" is not 1.0, 1.1 or 1.2`)
}
