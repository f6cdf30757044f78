package pipeline

import "testing"

// BenchmarkCommandMetrics compares what recording a command's metrics costs through
// WithLabelValues and through the cached children, from all workers at once.
func BenchmarkCommandMetrics(b *testing.B) {
	b.Run("WithLabelValues", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				commandsTotalVec.WithLabelValues("slack", "succeeded").Inc()
				commandSeconds.WithLabelValues("network").Observe(0.001)
			}
		})
	})
	b.Run("children", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				commandsTotal.get([2]string{"slack", "succeeded"}).Inc()
				commandSecs.get("network").Observe(0.001)
			}
		})
	})
}

func TestChildrenAreTheVectorsChildren(t *testing.T) {
	a := commandsTotal.get([2]string{"test-platform", "succeeded"})
	commandsTotal.get([2]string{"test-platform", "failed"})
	if b := commandsTotal.get([2]string{"test-platform", "succeeded"}); a != b || a != commandsTotalVec.WithLabelValues("test-platform", "succeeded") {
		t.Fatal("cached child differs from the vector's")
	}
}
