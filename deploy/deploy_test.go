// Package deploy_test checks the deployment files offline: the Kubernetes
// manifests decode strictly into the k8s.io/api types (an unknown or
// misspelt field fails), every Deployment runs two replicas with a
// readiness probe and has a PodDisruptionBudget, the NATS chart's values
// ask for three JetStream servers, and docker-compose.yml has the
// topology the fault suite runs as processes (docs/reliability.md).
package deploy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// documents splits a multi-document YAML file.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, d := range bytes.Split(raw, []byte("\n---\n")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			out = append(out, d)
		}
	}
	return out
}

func stripComments(b []byte) []byte {
	var keep [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			keep = append(keep, l)
		}
	}
	return bytes.Join(keep, []byte("\n"))
}

func strict(t *testing.T, what string, doc []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s: %v", err)
	}
	deployments := map[string]appsv1.Deployment{}
	var pdbs []policyv1.PodDisruptionBudget
	for _, f := range files {
		if f == filepath.Join("k8s", "nats-values.yaml") {
			continue // the chart's values, not a manifest
		}
		for i, doc := range documents(t, f) {
			var head struct {
				Kind string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s #%d: %v", f, i, err)
			}
			what := f + " " + head.Kind
			switch head.Kind {
			case "Deployment":
				var d appsv1.Deployment
				strict(t, what, doc, &d)
				deployments[d.Name] = d
			case "PodDisruptionBudget":
				var p policyv1.PodDisruptionBudget
				strict(t, what, doc, &p)
				pdbs = append(pdbs, p)
			case "Service":
				strict(t, what, doc, &corev1.Service{})
			case "Secret":
				strict(t, what, doc, &corev1.Secret{})
			case "Job":
				strict(t, what, doc, &batchv1.Job{})
			default:
				t.Fatalf("%s #%d: a kind the test does not know: %q", f, i, head.Kind)
			}
		}
	}
	// Every service of the split deployment, as the fault suite runs it.
	for _, name := range []string{"api", "worker-completeness", "worker-compliance", "worker-confidentiality", "relay", "publisher"} {
		d, ok := deployments["sanshen-"+name]
		if !ok {
			t.Errorf("no Deployment sanshen-%s", name)
			continue
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
			t.Errorf("%s: fewer than two replicas", d.Name)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil {
				t.Errorf("%s: container %s has no HTTP readiness probe", d.Name, c.Name)
			}
			env := map[string]string{}
			for _, e := range c.Env {
				env[e.Name] = e.Value
			}
			if env["SANSHEN_STREAM_REPLICAS"] != "3" {
				t.Errorf("%s: the stream is not kept at R3", d.Name)
			}
			if strings.Count(env["NATS_URL"], "nats://") != 3 {
				t.Errorf("%s: NATS_URL does not name the three servers: %q", d.Name, env["NATS_URL"])
			}
		}
		covered := false
		for _, p := range pdbs {
			sel := p.Spec.Selector
			if sel == nil {
				continue
			}
			match := true
			for k, v := range sel.MatchLabels {
				if d.Spec.Template.Labels[k] != v {
					match = false
				}
			}
			covered = covered || (match && p.Spec.MinAvailable != nil)
		}
		if !covered {
			t.Errorf("%s: no PodDisruptionBudget keeps one replica", d.Name)
		}
	}
}

// The NATS Helm chart's values: a cluster of three with JetStream on disk.
func TestNATSChartValues(t *testing.T) {
	var v struct {
		Config struct {
			Cluster struct {
				Enabled  bool `json:"enabled"`
				Replicas int  `json:"replicas"`
			} `json:"cluster"`
			JetStream struct {
				Enabled   bool `json:"enabled"`
				FileStore struct {
					Enabled bool `json:"enabled"`
					PVC     struct {
						Enabled bool   `json:"enabled"`
						Size    string `json:"size"`
					} `json:"pvc"`
				} `json:"fileStore"`
			} `json:"jetstream"`
		} `json:"config"`
		PodTemplate         map[string]any `json:"podTemplate"`
		PodDisruptionBudget struct {
			Enabled bool `json:"enabled"`
		} `json:"podDisruptionBudget"`
	}
	raw, err := os.ReadFile("k8s/nats-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	strict(t, "nats-values.yaml", raw, &v)
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 || !c.JetStream.Enabled || !c.JetStream.FileStore.PVC.Enabled || !v.PodDisruptionBudget.Enabled {
		t.Fatalf("the chart's values do not ask for three JetStream servers on volumes with a disruption budget: %+v", v)
	}
}

// docker-compose.yml: the same topology, for a machine that runs containers.
func TestComposeTopology(t *testing.T) {
	var f struct {
		Services map[string]struct {
			Image       string            `json:"image"`
			Command     any               `json:"command"`
			Environment map[string]string `json:"environment"`
			Deploy      struct {
				Replicas int `json:"replicas"`
			} `json:"deploy"`
			Profiles []string `json:"profiles"`
		} `json:"services"`
	}
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	// Not strict: compose has many more keys than these.
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"postgres", "postgres-standby", "minio", "nats-1", "nats-2", "nats-3", "migrate"} {
		if _, ok := f.Services[want]; !ok {
			t.Errorf("docker-compose.yml has no service %q", want)
		}
	}
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		if f.Services[n].Environment["SERVER_NAME"] != n {
			t.Errorf("%s: SERVER_NAME is not its name", n)
		}
	}
	var sanshen []string
	for name, s := range f.Services {
		if s.Image != "sanshen:dev" || name == "migrate" || slices.Contains(s.Profiles, "fake-channels") {
			continue
		}
		sanshen = append(sanshen, name)
		if s.Deploy.Replicas < 2 {
			t.Errorf("%s: fewer than two replicas", name)
		}
		env := s.Environment
		if env["SANSHEN_STREAM_REPLICAS"] != "3" || strings.Count(env["NATS_URL"], "nats://") != 3 {
			t.Errorf("%s: not on the 3-node cluster at R3: %v", name, env)
		}
		if !strings.Contains(env["DATABASE_URL"], "postgres-standby") || !strings.Contains(env["DATABASE_URL"], "target_session_attrs=read-write") {
			t.Errorf("%s: DATABASE_URL does not follow a failover: %q", name, env["DATABASE_URL"])
		}
	}
	slices.Sort(sanshen)
	want := []string{"api", "publisher", "relay", "worker-completeness", "worker-compliance", "worker-confidentiality"}
	if !slices.Equal(sanshen, want) {
		t.Errorf("sanshen's services in docker-compose.yml: %v, want %v", sanshen, want)
	}
}
