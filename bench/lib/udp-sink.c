/* udp-sink ADDR PORT: binds a UDP socket and reads and discards everything sent to it,
 * until killed. The bench's SIPp UAC plays its RTP from a pcap without binding its media
 * port, so without this the RTP a PBX sends back to it draws an ICMP port-unreachable per
 * packet, which both PBXes pay for in their sendto and their socket's error path. A phone
 * listens on the port its SDP names; this stands in for that. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: udp-sink ADDR PORT\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    if (fd < 0 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("udp-sink");
        return 1;
    }
    static char buf[65536];
    struct mmsghdr msgs[64];
    struct iovec iov[64];
    for (int i = 0; i < 64; i++) {
        iov[i].iov_base = buf;
        iov[i].iov_len = sizeof buf;
        msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
    }
    for (;;) {
        recvmmsg(fd, msgs, 64, MSG_WAITFORONE, NULL);
    }
}
