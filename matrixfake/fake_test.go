package matrixfake

import "testing"

// The fake answers the calls opsgate makes as a homeserver does (matrix/dendrite_test.go runs the
// same checks against Dendrite).
func TestConform(t *testing.T) {
	s := New("example.org")
	defer s.Close()
	s.AddUser("alice", "syt_alice")
	bob := s.AddUser("bob", "syt_bob")
	Conform(t, s.As("syt_alice"), s.As("syt_bob"), bob)
}
