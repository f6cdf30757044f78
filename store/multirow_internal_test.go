package store

import "testing"

// Only MariaDB 10.5 on has INSERT ... RETURNING; MySQL (no test server here) and older MariaDB
// must get the row-by-row path.
func TestMariaDBReturning(t *testing.T) {
	for v, want := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1": true,
		"10.5.0-MariaDB":             true,
		"11.4.2-MariaDB-ubu2404":     true,
		"10.4.32-MariaDB":            false,
		"8.0.36":                     false,
		"8.4.0-commercial":           false,
		"5.7.44-log":                 false,
	} {
		if got := mariaDBReturning(v); got != want {
			t.Errorf("%s: %v, want %v", v, got, want)
		}
	}
}

// One INSERT takes a power of two of rows (each size prepared once), no more than maxRows, and
// no more bytes than maxInsertBytes unless a row alone is larger.
func TestChunkRows(t *testing.T) {
	small := func(int) int { return 100 }
	for _, c := range []struct {
		n    int
		size func(int) int
		want int
	}{
		{1, nil, 1}, {2, nil, 2}, {3, nil, 2}, {100, nil, 64}, {256, nil, 256}, {1000, nil, 256},
		{100, small, 64},
		{100, func(i int) int { return maxInsertBytes / 10 }, 8},
		{100, func(i int) int { return maxInsertBytes + 1 }, 1},
	} {
		if got := chunkRows(c.n, c.size); got != c.want {
			t.Errorf("chunkRows(%d): %d, want %d", c.n, got, c.want)
		}
	}
}
