package opscheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/robfig/cron/v3"
	yamlv3 "go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests is every object of deploy/kubernetes, decoded strictly into
// the Kubernetes API types: a misspelt or misplaced field fails the
// decoding, as kubectl's server-side field validation would.
type manifests struct {
	namespaces  []corev1.Namespace
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	services    []corev1.Service
	deployments []appsv1.Deployment
	cronJobs    []batchv1.CronJob
	files       map[string]bool // the manifest files, by base name
}

// loadManifests reads every *.yaml of deploy/kubernetes except
// kustomization.yaml, one object per YAML document.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	paths, err := filepath.Glob(repoPath(t, "deploy/kubernetes/*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifest in deploy/kubernetes: %v", err)
	}
	m := manifests{files: map[string]bool{}}
	for _, p := range paths {
		base := filepath.Base(p)
		if base == "kustomization.yaml" {
			continue
		}
		m.files[base] = true
		for i, doc := range yamlDocuments(t, readRepoFile(t, "deploy/kubernetes/"+base)) {
			if err := m.add(doc); err != nil {
				t.Errorf("%s, document %d: %v", base, i+1, err)
			}
		}
	}
	return m
}

// yamlDocuments splits a multi-document YAML file into its documents, as
// JSON-ready YAML text.
func yamlDocuments(t *testing.T, text string) [][]byte {
	t.Helper()
	dec := yamlv3.NewDecoder(strings.NewReader(text))
	var docs [][]byte
	for {
		var node yamlv3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("splitting YAML documents: %v", err)
		}
		var buf bytes.Buffer
		enc := yamlv3.NewEncoder(&buf)
		if err := enc.Encode(&node); err != nil {
			t.Fatalf("re-encoding a YAML document: %v", err)
		}
		docs = append(docs, buf.Bytes())
	}
}

func (m *manifests) add(doc []byte) error {
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	strict := func(v any) error { return yaml.UnmarshalStrict(doc, v) }
	switch meta.APIVersion + " " + meta.Kind {
	case "v1 Namespace":
		var o corev1.Namespace
		return errors.Join(strict(&o), appendTo(&m.namespaces, o))
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		return errors.Join(strict(&o), appendTo(&m.configMaps, o))
	case "v1 Secret":
		var o corev1.Secret
		return errors.Join(strict(&o), appendTo(&m.secrets, o))
	case "v1 Service":
		var o corev1.Service
		return errors.Join(strict(&o), appendTo(&m.services, o))
	case "apps/v1 Deployment":
		var o appsv1.Deployment
		err := strict(&o)
		m.deployments = append(m.deployments, o)
		return err
	case "batch/v1 CronJob":
		var o batchv1.CronJob
		err := strict(&o)
		m.cronJobs = append(m.cronJobs, o)
		return err
	}
	return fmt.Errorf("unexpected object %s %s", meta.APIVersion, meta.Kind)
}

func appendTo[T any](list *[]T, o T) error {
	*list = append(*list, o)
	return nil
}

// workload is a pod template of a stage, with where it came from.
type workload struct {
	kind, name string
	stage      stage
	command    string
	spec       corev1.PodSpec
	labels     map[string]string
	annots     map[string]string
}

// workloads returns the pod templates of the Deployments and CronJobs.
func (m manifests) workloads(t *testing.T) []workload {
	t.Helper()
	var out []workload
	add := func(kind, name string, tpl corev1.PodTemplateSpec) {
		if len(tpl.Spec.Containers) != 1 {
			t.Fatalf("%s %s has %d containers, want 1", kind, name, len(tpl.Spec.Containers))
		}
		c := tpl.Spec.Containers[0]
		st, err := stageOfImage(c.Image)
		if err != nil {
			t.Fatalf("%s %s: image %s: %v", kind, name, c.Image, err)
		}
		if len(c.Args) == 0 {
			t.Fatalf("%s %s: container has no args (the subcommand)", kind, name)
		}
		out = append(out, workload{kind: kind, name: name, stage: st, command: c.Args[0],
			spec: tpl.Spec, labels: tpl.Labels, annots: tpl.Annotations})
	}
	for _, d := range m.deployments {
		add("Deployment", d.Name, d.Spec.Template)
	}
	for _, c := range m.cronJobs {
		add("CronJob", c.Name, c.Spec.JobTemplate.Spec.Template)
	}
	return out
}

// stageOfImage returns the stage an image crmgraph/<stage>:<tag> runs.
func stageOfImage(image string) (stage, error) {
	repo, _, _ := strings.Cut(image, ":")
	for _, s := range stages {
		if repo == "crmgraph/"+s.name {
			return s, nil
		}
	}
	return stage{}, errNoStage
}

// TestKubernetesKinds checks that the manifests hold what the issue asks
// for: the extractor as a CronJob (run) and a Deployment (serve), the
// loader and relinker as Deployments, a ConfigMap and a Secret, all in
// one namespace.
func TestKubernetesKinds(t *testing.T) {
	m := loadManifests(t)
	names := func(kind string) []string {
		var out []string
		for _, w := range m.workloads(t) {
			if w.kind == kind {
				out = append(out, w.name+"="+w.stage.name+" "+w.command)
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := names("Deployment"), []string{"extractor=extractor serve",
		"loader=loader run", "relinker=relinker run"}; !slices.Equal(got, want) {
		t.Errorf("Deployments = %v, want %v", got, want)
	}
	if got, want := names("CronJob"), []string{"extractor-full=extractor run",
		"extractor-incremental=extractor run"}; !slices.Equal(got, want) {
		t.Errorf("CronJobs = %v, want %v", got, want)
	}
	if len(m.configMaps) != 1 || len(m.secrets) != 1 || len(m.namespaces) != 1 {
		t.Fatalf("%d ConfigMaps, %d Secrets, %d Namespaces; want one of each",
			len(m.configMaps), len(m.secrets), len(m.namespaces))
	}
	ns := m.namespaces[0].Name
	for _, o := range objectMetas(m) {
		if o.Namespace != ns {
			t.Errorf("%s is in namespace %q, want %q", o.Name, o.Namespace, ns)
		}
	}
	for k, v := range m.secrets[0].StringData {
		if v != "" {
			t.Errorf("secret.yaml holds a value for %s: the template must stay empty", k)
		}
	}
	if len(m.secrets[0].Data) != 0 {
		t.Errorf("secret.yaml has data: the template must stay empty")
	}
}

func objectMetas(m manifests) []metav1.ObjectMeta {
	var out []metav1.ObjectMeta
	for _, o := range m.configMaps {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.secrets {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.services {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.deployments {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.cronJobs {
		out = append(out, o.ObjectMeta)
	}
	return out
}

// TestKubernetesEnvironment checks that every variable the stage command
// of a workload reads reaches its container, from the ConfigMap, the
// Secret or the container's own env, and that each value the manifests
// give is one the stage accepts.
func TestKubernetesEnvironment(t *testing.T) {
	m := loadManifests(t)
	cm, secret := m.configMaps[0], m.secrets[0]
	for _, w := range m.workloads(t) {
		t.Run(w.kind+"_"+w.name, func(t *testing.T) {
			c := w.spec.Containers[0]
			values := map[string]string{}
			for _, from := range c.EnvFrom {
				switch {
				case from.ConfigMapRef != nil && from.ConfigMapRef.Name == cm.Name:
					for k, v := range cm.Data {
						values[k] = v
					}
				case from.SecretRef != nil && from.SecretRef.Name == secret.Name:
					for k := range secret.StringData {
						values[k] = "<secret>"
					}
				default:
					t.Errorf("envFrom %+v names no object of the manifests", from)
				}
			}
			for _, e := range c.Env {
				values[e.Name] = e.Value
				if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
					_, ok := secret.StringData[ref.SecretKeyRef.Key]
					if ref.SecretKeyRef.Name != secret.Name || !ok {
						t.Errorf("%s comes from secret %s key %s, which secret.yaml lacks",
							e.Name, ref.SecretKeyRef.Name, ref.SecretKeyRef.Key)
					}
					values[e.Name] = "<secret>"
				}
			}
			for name, s := range stageSettings(t, w.stage, w.command) {
				v, ok := values[name]
				if !ok {
					t.Errorf("%s %s reads %s; the container does not get it", w.stage.name,
						w.command, name)
					continue
				}
				if v != "<secret>" {
					if err := s.valid(v); err != nil {
						t.Errorf("%s=%q is not a valid %s: %v", name, v, s.kind, err)
					}
				}
			}
		})
	}
}

// TestKubernetesProbes checks the Deployments' probes and ports: the
// container listens on all interfaces on the stage's port, names it
// "http", and every probe requests a path the stage serves on that port.
func TestKubernetesProbes(t *testing.T) {
	m := loadManifests(t)
	served := []string{"/health", "/healthz", "/metrics"} // events/app.Mux
	for _, w := range m.workloads(t) {
		t.Run(w.kind+"_"+w.name, func(t *testing.T) {
			c := w.spec.Containers[0]
			port := listenPort(t, c)
			if len(c.Ports) != 1 || c.Ports[0].Name != "http" ||
				int(c.Ports[0].ContainerPort) != port {
				t.Errorf("ports %+v, want one named http on %d", c.Ports, port)
			}
			if got := w.annots["prometheus.io/port"]; got != strconv.Itoa(port) {
				t.Errorf("prometheus.io/port = %q, want %d", got, port)
			}
			if w.kind != "Deployment" {
				return
			}
			probes := map[string]*corev1.Probe{"startup": c.StartupProbe,
				"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}
			for kind, p := range probes {
				if p == nil || p.HTTPGet == nil {
					t.Errorf("no %s probe with httpGet", kind)
					continue
				}
				if !slices.Contains(served, p.HTTPGet.Path) {
					t.Errorf("%s probe requests %s, which the stage does not serve", kind,
						p.HTTPGet.Path)
				}
				if p.HTTPGet.Port.String() != "http" {
					t.Errorf("%s probe port %s, want http", kind, p.HTTPGet.Port.String())
				}
			}
			if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil &&
				c.ReadinessProbe.HTTPGet.Path != "/health" {
				t.Errorf("readiness asks %s, want /health (NATS and Neo4j reachable)",
					c.ReadinessProbe.HTTPGet.Path)
			}
		})
	}
}

// listenPort returns the port of the container's CRMGRAPH_HTTP_ADDR,
// checking that it is the stage's and on all interfaces.
func listenPort(t *testing.T, c corev1.Container) int {
	t.Helper()
	for _, e := range c.Env {
		if e.Name != "CRMGRAPH_HTTP_ADDR" {
			continue
		}
		host, port, err := net.SplitHostPort(e.Value)
		n, _ := strconv.Atoi(port)
		if err != nil || (host != "0.0.0.0" && host != "") {
			t.Fatalf("CRMGRAPH_HTTP_ADDR = %q, want 0.0.0.0:<port>", e.Value)
		}
		return n
	}
	t.Fatalf("container sets no CRMGRAPH_HTTP_ADDR: the stage would listen on 127.0.0.1, " +
		"out of the kubelet's reach")
	return 0
}

// TestKubernetesContainers checks the images, resources and security of
// every container, and the CronJobs' schedules and modes.
func TestKubernetesContainers(t *testing.T) {
	m := loadManifests(t)
	for _, w := range m.workloads(t) {
		t.Run(w.kind+"_"+w.name, func(t *testing.T) {
			c := w.spec.Containers[0]
			if !repoFileExists(t, "deploy/docker/"+w.stage.name+".Dockerfile") {
				t.Errorf("image %s has no Dockerfile in deploy/docker", c.Image)
			}
			if !slices.Contains(w.stage.commands, w.command) {
				t.Errorf("args %v: %s has no command %q", c.Args, w.stage.name, w.command)
			}
			req, lim := c.Resources.Requests, c.Resources.Limits
			if req.Cpu().IsZero() || req.Memory().IsZero() {
				t.Errorf("no cpu and memory requests")
			}
			if lim.Memory().IsZero() || lim.Memory().Cmp(*req.Memory()) < 0 {
				t.Errorf("memory limit %v is missing or below the request", lim.Memory())
			}
			checkSecurity(t, w.spec, c)
		})
	}
	for _, cj := range m.cronJobs {
		t.Run("CronJob_"+cj.Name+"_schedule", func(t *testing.T) {
			if _, err := cron.ParseStandard(cj.Spec.Schedule); err != nil {
				t.Errorf("schedule %q: %v", cj.Spec.Schedule, err)
			}
			if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				t.Errorf("concurrencyPolicy %q, want Forbid", cj.Spec.ConcurrencyPolicy)
			}
			tpl := cj.Spec.JobTemplate.Spec.Template.Spec
			if tpl.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("restartPolicy %q, want Never", tpl.RestartPolicy)
			}
			args := tpl.Containers[0].Args
			i := slices.Index(args, "--mode")
			if i < 0 || i+1 >= len(args) || (args[i+1] != "full" && args[i+1] != "incremental") {
				t.Errorf("args %v, want run --mode full|incremental", args)
			}
		})
	}
}

func checkSecurity(t *testing.T, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	psc, csc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod does not require runAsNonRoot")
	}
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		t.Errorf("pod runs as user 0")
	}
	if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Errorf("container lacks readOnlyRootFilesystem or allows privilege escalation")
	}
}

// TestKubernetesServiceAndKustomization checks that the extractor's
// Service selects its Deployment's pods on the http port, and that
// kustomization.yaml applies every manifest but the Secret template and
// sets the images the containers use.
func TestKubernetesServiceAndKustomization(t *testing.T) {
	m := loadManifests(t)
	var dep *appsv1.Deployment
	for i := range m.deployments {
		if m.deployments[i].Name == "extractor" {
			dep = &m.deployments[i]
		}
	}
	if len(m.services) != 1 || dep == nil {
		t.Fatalf("want the extractor Deployment and one Service")
	}
	svc := m.services[0]
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("Service selects %s=%s, which the extractor pods lack", k, v)
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("Service ports %+v, want one targeting http", svc.Spec.Ports)
	}

	var k struct {
		Resources []string `json:"resources"`
		Images    []struct {
			Name string `json:"name"`
		} `json:"images"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "deploy/kubernetes/kustomization.yaml")),
		&k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	var want []string
	for f := range m.files {
		if f != "secret.yaml" {
			want = append(want, f)
		}
	}
	got := slices.Clone(k.Resources)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, want %v (every manifest but secret.yaml)", got,
			want)
	}
	var images []string
	for _, img := range k.Images {
		images = append(images, img.Name)
	}
	for _, w := range m.workloads(t) {
		repo, _, _ := strings.Cut(w.spec.Containers[0].Image, ":")
		if !slices.Contains(images, repo) {
			t.Errorf("kustomization sets no image %s (used by %s %s)", repo, w.kind, w.name)
		}
	}
}

// TestKubernetesImagesMatchCompose checks that the manifests run the
// images docker-compose.yml builds.
func TestKubernetesImagesMatchCompose(t *testing.T) {
	p := mustLoadCompose(t, "zoho")
	composeImages := map[string]bool{}
	for _, svc := range p.Services {
		composeImages[svc.Image] = true
	}
	for _, w := range loadManifests(t).workloads(t) {
		if img := w.spec.Containers[0].Image; !composeImages[img] {
			t.Errorf("%s %s runs %s, which docker-compose.yml does not build", w.kind, w.name,
				img)
		}
	}
}
