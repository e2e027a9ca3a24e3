package approval_test

import (
	"testing"

	"gatehouse/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
