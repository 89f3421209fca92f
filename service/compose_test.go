package service

import (
	"bufio"
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// These tests keep docker-compose.yml and the Dockerfile honest without Docker: compose-go
// (the library behind `docker compose`) validates and loads the file, and the checks below
// tie it to Config, so a renamed variable or a moved listener fails here, not at `up`.

const (
	composeFile    = "docker-compose.yml"
	dockerfileName = "Dockerfile"
	kafkaService   = "kafka"
	appService     = "app"
	uiService      = "kafka-ui"
	uiProfile      = "ui"
)

// repoRoot is the module root, where docker-compose.yml and the Dockerfile live.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadCompose loads and validates docker-compose.yml as `docker compose` would, with the given
// profiles active. The environment is empty (no OS variables, no .env file), so the result does
// not depend on the machine running the test, and nothing touches Docker or the network.
func loadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, composeFile)},
		cli.WithWorkingDirectory(root),
		cli.WithProfiles(profiles),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("%s is not a valid compose file (profiles %v): %v", composeFile, profiles, err)
	}
	return project
}

func mustService(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("%s: service %q must be defined and enabled by default: %v", composeFile, name, err)
	}
	return s
}

// serviceEnv flattens a service's environment; a variable declared without a value maps to "".
func serviceEnv(s types.ServiceConfig) map[string]string {
	env := make(map[string]string, len(s.Environment))
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		} else {
			env[k] = ""
		}
	}
	return env
}

// configEnvVars returns every variable Config reads, from its `env` struct tags (following
// nested structs and their envPrefix), so this list cannot drift from config.go.
func configEnvVars() map[string]bool {
	vars := map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for f := range t.Fields() {
			if !f.IsExported() {
				continue
			}
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			if name != "" {
				vars[prefix+name] = true
				continue
			}
			if ft.Kind() == reflect.Struct && f.Tag.Get("env") != "-" {
				walk(ft, prefix+f.Tag.Get("envPrefix"))
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return vars
}

// listener is one entry of a Kafka listener list: NAME://host:port.
type listener struct{ name, host, port string }

func (l listener) addr() string { return net.JoinHostPort(l.host, l.port) }

func parseListeners(t *testing.T, variable, value string) []listener {
	t.Helper()
	var out []listener
	for entry := range strings.SplitSeq(value, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, hostport, ok := strings.Cut(entry, "://")
		if !ok {
			t.Fatalf("kafka %s entry %q is not NAME://host:port", variable, entry)
		}
		host, port, err := net.SplitHostPort(hostport)
		if err != nil {
			t.Fatalf("kafka %s entry %q: %v", variable, entry, err)
		}
		out = append(out, listener{name: name, host: host, port: port})
	}
	if len(out) == 0 {
		t.Fatalf("kafka %s is empty", variable)
	}
	return out
}

// imageRepoTag splits "registry/repo:tag@digest" into its repository (without a docker.io/
// library prefix) and tag.
func imageRepoTag(image string) (repo, tag string) {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image, tag = image[:i], image[i+1:]
	}
	image = strings.TrimPrefix(image, "docker.io/")
	image = strings.TrimPrefix(image, "library/")
	return image, tag
}

func TestComposeFile(t *testing.T) {
	t.Parallel()
	project := loadCompose(t)
	kafka := mustService(t, project, kafkaService)
	app := mustService(t, project, appService)
	kafkaEnv := serviceEnv(kafka)
	appEnv := serviceEnv(app)

	advertised := parseListeners(t, "KAFKA_ADVERTISED_LISTENERS", kafkaEnv["KAFKA_ADVERTISED_LISTENERS"])

	t.Run("app environment is read by Config", func(t *testing.T) {
		known := configEnvVars()
		if len(known) == 0 {
			t.Fatal("found no `env` struct tags on service.Config")
		}
		for name := range appEnv {
			if !known[name] {
				t.Errorf("service %q sets %s, which service.Config does not read (misspelt or removed?); Config reads %v",
					appService, name, slices.Sorted(func(yield func(string) bool) {
						for k := range known {
							if !yield(k) {
								return
							}
						}
					}))
			}
		}
		cfg, err := ConfigFromMap(appEnv)
		if err != nil {
			t.Fatalf("service %q environment is rejected by the service: %v", appService, err)
		}
		if cfg.Embedded() {
			t.Errorf("service %q must set KAFKA_BROKERS; without it the service runs its embedded broker instead of the kafka service", appService)
		}
		if cfg.LogFormat != "json" {
			t.Errorf("service %q should log JSON in containers (LOG_FORMAT=json), got %q", appService, cfg.LogFormat)
		}
		// The published container port must be the one HTTP_ADDR listens on.
		_, httpPort, _ := net.SplitHostPort(cfg.HTTPAddr)
		published := false
		for _, p := range app.Ports {
			if strconv.FormatUint(uint64(p.Target), 10) == httpPort && p.Published != "" {
				published = true
			}
		}
		if !published {
			t.Errorf("service %q listens on HTTP_ADDR %q but publishes no host port for container port %s (ports: %+v)",
				appService, cfg.HTTPAddr, httpPort, app.Ports)
		}
	})

	t.Run("app KAFKA_BROKERS are advertised by kafka", func(t *testing.T) {
		brokers := strings.Split(appEnv["KAFKA_BROKERS"], ",")
		for _, b := range brokers {
			b = strings.TrimSpace(b)
			host, _, err := net.SplitHostPort(b)
			if err != nil {
				t.Errorf("service %q KAFKA_BROKERS entry %q is not host:port: %v", appService, b, err)
				continue
			}
			if host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1" {
				t.Errorf("service %q KAFKA_BROKERS entry %q points at the container itself; use the kafka service's container listener", appService, b)
			}
			found := slices.ContainsFunc(advertised, func(l listener) bool { return l.addr() == b })
			if !found {
				t.Errorf("service %q KAFKA_BROKERS entry %q is not an advertised listener of %q (KAFKA_ADVERTISED_LISTENERS=%q); clients are redirected to advertised addresses, so they must match",
					appService, b, kafkaService, kafkaEnv["KAFKA_ADVERTISED_LISTENERS"])
			}
		}
	})

	t.Run("kafka listeners are consistent", func(t *testing.T) {
		listeners := parseListeners(t, "KAFKA_LISTENERS", kafkaEnv["KAFKA_LISTENERS"])
		protocols := map[string]bool{}
		for pair := range strings.SplitSeq(kafkaEnv["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"], ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(pair), ":")
			protocols[name] = true
		}
		for _, a := range advertised {
			i := slices.IndexFunc(listeners, func(l listener) bool { return l.name == a.name })
			switch {
			case i < 0:
				t.Errorf("kafka advertises %s but KAFKA_LISTENERS has no listener named %s", a.name, a.name)
			case listeners[i].port != a.port:
				t.Errorf("kafka advertises %s on port %s but listens for it on port %s", a.name, a.port, listeners[i].port)
			}
			if !protocols[a.name] {
				t.Errorf("kafka listener %s is missing from KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", a.name)
			}
			// A listener advertised as localhost is for host tools: its port must be published.
			if a.host == "localhost" || a.host == "127.0.0.1" {
				published := slices.ContainsFunc(kafka.Ports, func(p types.ServicePortConfig) bool {
					return strconv.FormatUint(uint64(p.Target), 10) == a.port && p.Published == a.port
				})
				if !published {
					t.Errorf("kafka advertises %s to the host, but port %s is not published as %s:%s", a.addr(), a.port, a.port, a.port)
				}
			}
		}
		inter := kafkaEnv["KAFKA_INTER_BROKER_LISTENER_NAME"]
		if !slices.ContainsFunc(advertised, func(l listener) bool { return l.name == inter }) {
			t.Errorf("KAFKA_INTER_BROKER_LISTENER_NAME %q is not an advertised listener", inter)
		}
		if v := kafkaEnv["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]; v != "false" {
			t.Errorf("kafka must not auto-create topics (the service provisions them with KAFKA_PARTITIONS); KAFKA_AUTO_CREATE_TOPICS_ENABLE=%q", v)
		}
		for _, v := range []string{"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"} {
			if kafkaEnv[v] != "1" {
				t.Errorf("single-node kafka needs %s=1, got %q", v, kafkaEnv[v])
			}
		}
		if rf := appEnv["KAFKA_REPLICATION_FACTOR"]; rf != "" && rf != "1" {
			t.Errorf("service %q KAFKA_REPLICATION_FACTOR=%s cannot be met by a one-node kafka", appService, rf)
		}
		if len(kafka.Volumes) == 0 {
			t.Errorf("kafka should keep its data in a volume")
		}
	})

	t.Run("kafka is Apache Kafka 4.x in KRaft mode", func(t *testing.T) {
		repo, tag := imageRepoTag(kafka.Image)
		if repo != "apache/kafka" && repo != "apache/kafka-native" {
			t.Errorf("kafka image must be the official apache/kafka, got %q", kafka.Image)
		}
		if major, _, _ := strings.Cut(tag, "."); major != "4" {
			t.Errorf("kafka image must be pinned to a 4.x tag, got %q", kafka.Image)
		}
		roles := strings.Split(kafkaEnv["KAFKA_PROCESS_ROLES"], ",")
		if !slices.Contains(roles, "controller") || !slices.Contains(roles, "broker") {
			t.Errorf("kafka must run KRaft combined mode (KAFKA_PROCESS_ROLES=broker,controller), got %q", kafkaEnv["KAFKA_PROCESS_ROLES"])
		}
		for _, v := range []string{"KAFKA_NODE_ID", "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_CONTROLLER_LISTENER_NAMES"} {
			if kafkaEnv[v] == "" {
				t.Errorf("KRaft needs %s on the kafka service", v)
			}
		}
		for name, s := range project.AllServices() {
			if strings.Contains(strings.ToLower(name+" "+s.Image), "zookeeper") {
				t.Errorf("service %q looks like ZooKeeper; Kafka 4 runs KRaft only", name)
			}
		}
		for k := range kafkaEnv {
			if strings.Contains(k, "ZOOKEEPER") {
				t.Errorf("kafka sets %s; Kafka 4 has no ZooKeeper mode", k)
			}
		}
	})

	t.Run("app waits for a healthy kafka", func(t *testing.T) {
		hc := kafka.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
			t.Fatalf("kafka needs a healthcheck (e.g. kafka-broker-api-versions.sh), got %+v", hc)
		}
		dep, ok := app.DependsOn[kafkaService]
		if !ok {
			t.Fatalf("service %q must depend_on %q", appService, kafkaService)
		}
		if dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("service %q must wait for %q with condition %s, got %q", appService, kafkaService, types.ServiceConditionHealthy, dep.Condition)
		}
		if app.Restart == "" || app.Restart == types.RestartPolicyNo {
			t.Errorf("service %q should restart on failure, restart=%q", appService, app.Restart)
		}
	})

	t.Run("app is built from the Dockerfile", func(t *testing.T) {
		if app.Build == nil {
			t.Fatalf("service %q must be built (build: .), it has no build section", appService)
		}
		if app.Build.Context != repoRoot(t) {
			t.Errorf("service %q build context must be the repository root %s, got %s", appService, repoRoot(t), app.Build.Context)
		}
		df := app.Build.Dockerfile
		if !filepath.IsAbs(df) {
			df = filepath.Join(app.Build.Context, df)
		}
		if df != filepath.Join(repoRoot(t), dockerfileName) {
			t.Errorf("service %q must build from ./%s, got %s", appService, dockerfileName, app.Build.Dockerfile)
		}
	})

	t.Run("kafka-ui is optional", func(t *testing.T) {
		if slices.Contains(project.ServiceNames(), uiService) {
			t.Fatalf("service %q starts by default; put it under profiles: [%q]", uiService, uiProfile)
		}
		for _, s := range []types.ServiceConfig{kafka, app} {
			if len(s.Profiles) != 0 {
				t.Errorf("service %q must start by default, but has profiles %v", s.Name, s.Profiles)
			}
		}
		ui := mustService(t, loadCompose(t, uiProfile), uiService)
		bootstrap := serviceEnv(ui)["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"]
		if !slices.ContainsFunc(advertised, func(l listener) bool { return l.addr() == bootstrap }) {
			t.Errorf("service %q KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS=%q is not an advertised kafka listener", uiService, bootstrap)
		}
	})
}

// dockerStage is one FROM stage of a Dockerfile, with its instructions (continuations joined).
type dockerStage struct {
	image, name  string
	instructions []string
}

func parseDockerfile(t *testing.T, path string) []dockerStage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	defer f.Close()

	var stages []dockerStage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		keyword, rest, _ := strings.Cut(line, " ")
		if strings.EqualFold(keyword, "FROM") {
			fields := strings.Fields(rest)
			fields = slices.DeleteFunc(fields, func(s string) bool { return strings.HasPrefix(s, "--") })
			st := dockerStage{}
			if len(fields) > 0 {
				st.image = fields[0]
			}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, line)
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stages) == 0 {
		t.Fatalf("%s has no FROM", path)
	}
	return stages
}

func instructionArgs(instr, keyword string) (string, bool) {
	k, rest, _ := strings.Cut(instr, " ")
	return strings.TrimSpace(rest), strings.EqualFold(k, keyword)
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	stages := parseDockerfile(t, filepath.Join(repoRoot(t), dockerfileName))
	final := stages[len(stages)-1]

	t.Run("final stage runs as non-root", func(t *testing.T) {
		user := ""
		for _, in := range final.instructions {
			if u, ok := instructionArgs(in, "USER"); ok {
				user = u
			}
		}
		_, tag := imageRepoTag(final.image)
		if user == "" {
			if !strings.Contains(tag, "nonroot") {
				t.Fatalf("final stage (FROM %s) sets no USER and its image is not a :nonroot variant; it would run as root", final.image)
			}
			return
		}
		name, _, _ := strings.Cut(user, ":")
		if name == "root" || name == "0" {
			t.Errorf("final stage runs as USER %s; use a non-root user (e.g. nonroot / 65532)", user)
		}
	})

	t.Run("binary is static (CGO_ENABLED=0)", func(t *testing.T) {
		// The stage the final image copies the binary from.
		var from string
		for _, in := range final.instructions {
			if args, ok := instructionArgs(in, "COPY"); ok {
				for f := range strings.FieldsSeq(args) {
					if v, ok := strings.CutPrefix(f, "--from="); ok {
						from = v
					}
				}
			}
		}
		if from == "" {
			t.Fatalf("final stage (FROM %s) copies nothing from a build stage; expected a multi-stage build", final.image)
		}
		i := -1
		for j, s := range stages[:len(stages)-1] {
			if s.name == from || strconv.Itoa(j) == from {
				i = j
			}
		}
		if i < 0 {
			t.Fatalf("final stage copies from stage %q, which the Dockerfile does not define", from)
		}
		build := stages[i]
		cgoOff, built := false, false
		for _, in := range build.instructions {
			if args, ok := instructionArgs(in, "ENV"); ok && strings.Contains(args, "CGO_ENABLED=0") {
				cgoOff = true
			}
			if args, ok := instructionArgs(in, "RUN"); ok && strings.Contains(args, "go build") {
				built = true
				if strings.Contains(args, "CGO_ENABLED=0") {
					cgoOff = true
				}
			}
		}
		if !built {
			t.Errorf("stage %q has no RUN ... go build", from)
		}
		if !cgoOff {
			t.Errorf("stage %q must build with CGO_ENABLED=0: the final image has no libc", from)
		}
	})

	t.Run("final stage exposes the HTTP port", func(t *testing.T) {
		var exposed []string
		httpAddr := ""
		for _, in := range final.instructions {
			if args, ok := instructionArgs(in, "EXPOSE"); ok {
				for p := range strings.FieldsSeq(args) {
					p, _, _ = strings.Cut(p, "/")
					exposed = append(exposed, p)
				}
			}
			if args, ok := instructionArgs(in, "ENV"); ok {
				for kv := range strings.FieldsSeq(args) {
					if v, ok := strings.CutPrefix(kv, "HTTP_ADDR="); ok {
						httpAddr = strings.Trim(v, `"`)
					}
				}
			}
		}
		if httpAddr == "" {
			t.Fatalf("final stage should set ENV HTTP_ADDR")
		}
		_, port, err := net.SplitHostPort(httpAddr)
		if err != nil {
			t.Fatalf("final stage HTTP_ADDR %q: %v", httpAddr, err)
		}
		if !slices.Contains(exposed, port) {
			t.Errorf("final stage listens on HTTP_ADDR %s but EXPOSEs %v", httpAddr, exposed)
		}
	})
}

// TestComposePostgres checks the durable mode of the stack: PostgreSQL with a healthcheck
// and a volume, and the app pointed at it, started only once it is healthy.
func TestComposePostgres(t *testing.T) {
	p := loadCompose(t)
	pg := mustService(t, p, "postgres")
	app := mustService(t, p, "app")
	if pg.HealthCheck == nil || len(pg.HealthCheck.Test) == 0 {
		t.Error("postgres has no healthcheck")
	}
	hasVolume := false
	for _, v := range pg.Volumes {
		hasVolume = hasVolume || (v.Type == "volume" && v.Target == "/var/lib/postgresql/data")
	}
	if !hasVolume {
		t.Error("postgres keeps its data in no named volume")
	}
	dep, ok := app.DependsOn["postgres"]
	if !ok || dep.Condition != "service_healthy" {
		t.Errorf("app does not wait for a healthy postgres: %+v", app.DependsOn)
	}
	raw := serviceEnv(app)["DATABASE_URL"]
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() != "postgres" {
		t.Fatalf("app DATABASE_URL %q does not point at the postgres service", raw)
	}
	env := serviceEnv(pg)
	pass, _ := u.User.Password()
	if u.User.Username() != env["POSTGRES_USER"] || pass != env["POSTGRES_PASSWORD"] || strings.TrimPrefix(u.Path, "/") != env["POSTGRES_DB"] {
		t.Errorf("DATABASE_URL %q does not match the postgres service's user, password and database %v", raw, env)
	}
}
