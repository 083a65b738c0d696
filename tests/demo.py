"""The demo driver: mail the sample forms, run one poll, show the result."""

import sys

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "integration"))
import hp  # noqa: E402


def read_forms(path):
    forms, block = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") and not block:
                continue
            if line.rstrip("\n") == "%%":
                head, body = block[0].rstrip("\n").split("|"), "".join(block[1:])
                forms.append((head[0], head[1], head[2], body))
                block = []
            else:
                block.append(line)
    return forms


def main():
    inst = hp.Instance()
    forms = read_forms(sys.argv[1])
    for sender, name, subject, body in forms:
        hp.submit(sender, subject, body, name=name)
        print("demo: %s <%s> mailed \"%s\"" % (name, sender, subject))
    hp.wait_inbox(len(forms))
    print("\ndemo: hanzepost -c %s poll --once" % inst.conf)
    p = inst.poll(check=False)
    sys.stdout.write(p.stderr)
    print("\ndemo: hanzepost registry list\n")
    sys.stdout.write(inst.run("registry", "list").stdout)
    print("\ndemo: the reply Carla received (her form had a typo):\n")
    reply = hp.wait_reply("carla@partner.example")
    print("Subject: %s\nFrom: %s\n" % (reply["Subject"], reply["From"]))
    print(hp.body_text(reply))
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
