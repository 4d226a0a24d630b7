// Package reach runs real Tandem sessions across a small internet made of Linux network namespaces (package
// netlab): the technician's and the customer's programs each behind a NAT router (port-preserving or
// --random-fully MASQUERADE, optionally without UDP), the real tandem-rendezvous program in the middle. The
// tests check which path each pair of networks gets (direct after a hole punch, or relayed, over TCP when UDP is
// blocked), a wrong secret, a rendezvous killed during a session, a three-node rendezvous cluster with a node
// down, and unattended access: a computer whose agent has no port open, behind its NAT, reached by its ID and
// password alone through the rendezvous (a wrong password refused, the path direct or relayed).
//
// They need root, iproute2 and iptables (Linux only). Without them they skip, except when CI=true, where they
// fail. The peers run inside the namespaces as this test binary re-executed under `ip netns exec`
// (TestReachHelperProcess); nothing is sent outside the namespaces the tests create, and every namespace is
// deleted at the end.
package reach
