package faults

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	_ "github.com/go-sql-driver/mysql" // the MariaDB the suite owns
)

// mariaDB is a MariaDB server of the suite's own, from the installed Debian
// binaries, in a data directory of its own: the machine's shared server on
// 3306 is never touched, and this one can be SIGKILLed and restarted (InnoDB
// crash recovery on the same data directory).
type mariaDB struct {
	dir  string
	port int
	proc *proc
}

func newMariaDB(ctx context.Context, dir string, port int) (*mariaDB, error) {
	data := filepath.Join(dir, "data")
	install, err := firstInPath("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return nil, err
	}
	server, err := firstInPath("/usr/sbin/mariadbd", "mariadbd", "/usr/sbin/mysqld")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, install, "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", install, err, out)
	}
	m := &mariaDB{dir: dir, port: port}
	m.proc = &proc{
		name: "mariadb", path: server, logPath: filepath.Join(dir, "..", "mariadb.log"),
		marker: "ready for connections",
		args: []string{
			"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1",
			"--socket=" + filepath.Join(dir, "mariadb.sock"), "--pid-file=" + filepath.Join(dir, "mariadb.pid"),
			"--user=root", "--skip-name-resolve", "--skip-log-bin", "--max-connections=500",
			"--innodb-buffer-pool-size=256M",
			// The defaults, said out loud: every commit is on disk, which is
			// what a SIGKILL tests.
			"--innodb-flush-log-at-trx-commit=1",
		},
	}
	return m, nil
}

// rootDSN is the server without a database; dsn names the suite's database.
func (m *mariaDB) rootDSN() string { return fmt.Sprintf("root@tcp(127.0.0.1:%d)/", m.port) }
func (m *mariaDB) dsn(db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s", m.port, db)
}

// start launches mariadbd and waits until it answers a ping.
func (m *mariaDB) start(ctx context.Context) error {
	if err := m.proc.start(); err != nil {
		return err
	}
	if err := m.proc.waitMarker(ctx, 90*time.Second); err != nil {
		return err
	}
	db, err := sql.Open("mysql", m.rootDSN()+"?timeout=2s")
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mariadb on port %d: %w", m.port, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func firstInPath(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("none of %v is installed (Debian: apt-get install mariadb-server)", names)
}
