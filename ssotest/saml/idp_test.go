package saml_test

// A real SAML identity provider for the tests: Debian's SimpleSAMLphp
// (1.19), served by PHP's built-in server, configured in a folder of the
// test's own (SIMPLESAMLPHP_CONFIG_DIR): exampleauth:UserPass users who
// carry GakuNin's attributes, the service providers under test registered
// as saml20-sp-remote, assertions signed, and the IdP's metadata signed by
// a "federation" key of its own, as GakuNin signs its aggregate.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	sspRoot = "/usr/share/simplesamlphp"
	// idpEntityID is the identity provider's name, as a Shibboleth IdP of
	// a GakuNin member names itself.
	idpEntityID = "https://idp.example.ac.jp/idp/shibboleth"
	// otherSP is another service provider of the federation, whose
	// assertions must not be accepted here.
	otherSP = "https://other-sp.example.org/shibboleth"
	// ports are this package's (19350-19399).
	firstPort, lastPort = 19350, 19399
)

// idpUser is a person of the identity provider.
type idpUser struct {
	login string
	attrs map[string][]string // by urn:oid name
}

var idpUsers = []idpUser{
	{"tanaka", map[string][]string{
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  {"tanaka@example.ac.jp"},
		"urn:oid:0.9.2342.19200300.100.1.3": {"tanaka.hanako@example.ac.jp"},
		"urn:oid:2.16.840.1.113730.3.1.241": {"Hanako Tanaka"},
		"urn:oid:1.3.6.1.4.1.32264.1.1.3":   {"田中 花子"},
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  {"faculty", "member"},
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":  {"faculty@example.ac.jp", "member@example.ac.jp"},
		"urn:oid:2.5.4.10":                  {"Example University"},
	}},
	{"stranger", map[string][]string{
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  {"stranger@example.ac.jp"},
		"urn:oid:0.9.2342.19200300.100.1.3": {"stranger@example.ac.jp"},
		"urn:oid:2.16.840.1.113730.3.1.241": {"A Stranger"},
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  {"student"},
	}},
	// kobayashi signs in with a second factor at the IdP (the REFEDS MFA
	// context is asserted for her: authproc below).
	{"kobayashi", map[string][]string{
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  {"kobayashi@example.ac.jp"},
		"urn:oid:0.9.2342.19200300.100.1.3": {"kobayashi@example.ac.jp"},
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  {"staff"},
	}},
	{"pairwise", map[string][]string{
		"urn:oasis:names:tc:SAML:attribute:pairwise-id": {"ABCDEF0123456789@example.ac.jp"},
		"urn:oid:0.9.2342.19200300.100.1.3":             {"pw@example.ac.jp"},
	}},
}

// sspSP is a service provider registered at the identity provider.
type sspSP struct {
	EntityID string
	ACS      []string // the first is the default
	SLO      string
	Cert     *x509.Certificate
}

// idp is a running SimpleSAMLphp.
type idp struct {
	URL         string // http://127.0.0.1:port
	dir         string
	FedCertFile string // the federation's metadata signing certificate (PEM)
	MetadataURL string
	logFile     string
}

// haveSimpleSAMLphp skips the test without php and SimpleSAMLphp.
func haveSimpleSAMLphp(t *testing.T) string {
	t.Helper()
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("SKIP-NO-SIMPLESAMLPHP: no php; install Debian's simplesamlphp and php-cli for the SAML tests")
	}
	if _, err := os.Stat(filepath.Join(sspRoot, "www", "index.php")); err != nil {
		t.Skip("SKIP-NO-SIMPLESAMLPHP: no " + sspRoot + "; install Debian's simplesamlphp for the SAML tests")
	}
	return php
}

// freePort is a port of this package's range nothing listens on, looked
// for from a place that differs between tests and attempts.
func freePort(t *testing.T, attempt int) int {
	t.Helper()
	n := lastPort - firstPort + 1
	from := int(time.Now().UnixNano()/1000+int64(attempt*7)) % n
	for k := 0; k < n; k++ {
		p := firstPort + (from+k)%n
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no free port in 19350-19399")
	return 0
}

// startIdP writes SimpleSAMLphp's configuration for sps and serves it.
func startIdP(t *testing.T, sps []sspSP) *idp {
	t.Helper()
	php := haveSimpleSAMLphp(t)
	dir := t.TempDir()
	for _, d := range []string{"cert", "log", "data", "tmp", "metadata"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	idpKey, idpCert := keyPair(t, "idp.example.ac.jp")
	fedKey, fedCert := keyPair(t, "metadata-signer.example.org")
	writePEM(t, filepath.Join(dir, "cert", "idp.key"), "PRIVATE KEY", keyDER(t, idpKey))
	writePEM(t, filepath.Join(dir, "cert", "idp.crt"), "CERTIFICATE", idpCert.Raw)
	writePEM(t, filepath.Join(dir, "cert", "fed.key"), "PRIVATE KEY", keyDER(t, fedKey))
	writePEM(t, filepath.Join(dir, "cert", "fed.crt"), "CERTIFICATE", fedCert.Raw)

	var users strings.Builder
	for _, usr := range idpUsers {
		fmt.Fprintf(&users, "\t\t'%s:password' => [\n", usr.login)
		for name, vals := range usr.attrs {
			fmt.Fprintf(&users, "\t\t\t'%s' => [%s],\n", name, phpList(vals))
		}
		users.WriteString("\t\t],\n")
	}
	write(t, filepath.Join(dir, "authsources.php"), `<?php
$config = [
	'admin' => ['core:AdminPassword'],
	'example-userpass' => [
		'exampleauth:UserPass',
`+users.String()+`	],
];
`)

	write(t, filepath.Join(dir, "metadata", "saml20-idp-hosted.php"), `<?php
$metadata['`+idpEntityID+`'] = [
	'host' => '__DEFAULT__',
	'privatekey' => 'idp.key',
	'certificate' => 'idp.crt',
	'auth' => 'example-userpass',
	'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
	'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
	'saml20.sign.assertion' => true,
	'saml20.sign.response' => false,
	'sign.logout' => true,
	'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
	'UIInfo' => [
		'DisplayName' => ['en' => 'Example University', 'ja' => '例示大学'],
	],
	'authproc' => [
		10 => ['class' => 'core:PHP', 'code' => '
			if (($attributes["urn:oid:1.3.6.1.4.1.5923.1.1.1.6"][0] ?? "") === "kobayashi@example.ac.jp") {
				$state["saml:AuthnContextClassRef"] = "https://refeds.org/profile/mfa";
			}'],
	],
];
`)
	var remote strings.Builder
	remote.WriteString("<?php\n")
	for _, sp := range sps {
		fmt.Fprintf(&remote, "$metadata['%s'] = [\n\t'AssertionConsumerService' => [\n", sp.EntityID)
		for n, acs := range sp.ACS {
			fmt.Fprintf(&remote, "\t\t['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'Location' => '%s', 'index' => %d],\n", acs, n)
		}
		remote.WriteString("\t],\n")
		if sp.SLO != "" {
			fmt.Fprintf(&remote, "\t'SingleLogoutService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'Location' => '%s']],\n", sp.SLO)
		}
		if sp.Cert != nil {
			fmt.Fprintf(&remote, "\t'certData' => '%s',\n", base64.StdEncoding.EncodeToString(sp.Cert.Raw))
		}
		remote.WriteString("\t'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',\n")
		remote.WriteString("\t'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',\n")
		remote.WriteString("\t'validate.logout' => false,\n];\n")
	}
	write(t, filepath.Join(dir, "metadata", "saml20-sp-remote.php"), remote.String())

	// PHP's server takes a port of this package's range; another test
	// starting beside this one may take the same, and then this one's
	// server exits: it is tried again on another. The IdP that answers
	// must be this one (its certificate in its metadata).
	idpCertB64 := base64.StdEncoding.EncodeToString(idpCert.Raw)
	for attempt := 0; attempt < 10; attempt++ {
		port := freePort(t, attempt)
		u := fmt.Sprintf("http://127.0.0.1:%d", port)
		i := &idp{URL: u, dir: dir, FedCertFile: filepath.Join(dir, "cert", "fed.crt"),
			MetadataURL: u + "/saml2/idp/metadata.php", logFile: filepath.Join(dir, "log", "simplesamlphp.log")}
		write(t, filepath.Join(dir, "config.php"), fmt.Sprintf(`<?php
	$config = [
		'baseurlpath' => '%[1]s/',
		'certdir' => '%[2]s/cert/',
		'loggingdir' => '%[2]s/log/',
		'datadir' => '%[2]s/data/',
		'tempdir' => '%[2]s/tmp',
		'secretsalt' => 'partnerhub-test-salt-0123456789',
		'auth.adminpassword' => 'partnerhub-test-admin',
		'technicalcontact_name' => 'Test',
		'technicalcontact_email' => 'test@example.ac.jp',
		'timezone' => 'UTC',
		'logging.level' => SimpleSAML\Logger::DEBUG,
		'logging.handler' => 'file',
		'logging.logfile' => 'simplesamlphp.log',
		'enable.saml20-idp' => true,
		'enable.shib13-idp' => false,
		'store.type' => 'phpsession',
		'session.cookie.secure' => false,
		'session.phpsession.savepath' => '%[2]s/tmp',
		'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
		'metadata.sources' => [['type' => 'flatfile', 'directory' => '%[2]s/metadata']],
		'metadata.sign.enable' => true,
		'metadata.sign.privatekey' => 'fed.key',
		'metadata.sign.certificate' => 'fed.crt',
		'metadata.sign.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
		'admin.protectmetadata' => false,
		'language.default' => 'en',
		'theme.use' => 'default',
	];
	`, u, dir))

		if ready := serve(t, php, dir, port, i, idpCertB64); ready {
			return i
		}
	}
	t.Fatal("SimpleSAMLphp did not start on any port of 19350-19399")
	return nil
}

// serve runs PHP's built-in server for the IdP on port, and reports
// whether it answers as this IdP; false when the port was taken.
func serve(t *testing.T, php, dir string, port int, i *idp, certB64 string) bool {
	t.Helper()
	cmd := exec.Command(php, "-S", fmt.Sprintf("127.0.0.1:%d", port), "-t", filepath.Join(sspRoot, "www"))
	cmd.Env = append(os.Environ(), "SIMPLESAMLPHP_CONFIG_DIR="+dir)
	out, err := os.Create(filepath.Join(dir, "log", fmt.Sprintf("php-server-%d.log", port)))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
		out.Close()
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			out.Close()
			return false
		default:
		}
		res, err := http.Get(i.MetadataURL)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && strings.Contains(string(b), "EntityDescriptor") {
				if !strings.Contains(string(b), certB64) {
					stop() // another test's IdP holds the port
					return false
				}
				break
			}
			err = fmt.Errorf("HTTP %d:\n%s", res.StatusCode, tail(string(b), 1000))
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("SimpleSAMLphp did not answer at %s: %v", i.MetadataURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			for _, f := range []string{i.logFile, out.Name()} {
				if b, err := os.ReadFile(f); err == nil {
					t.Logf("%s:\n%s", f, tail(string(b), 4000))
				}
			}
		}
	})
	return true
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func phpList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
	}
	return strings.Join(q, ", ")
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func keyDER(t *testing.T, k *rsa.PrivateKey) []byte {
	t.Helper()
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyPair is a self-signed RSA certificate, as federations use.
func keyPair(t *testing.T, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return k, c
}
