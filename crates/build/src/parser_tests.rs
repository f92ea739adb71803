use super::*;

fn p(text: &str) -> Dockerfile {
    parse("Dockerfile", text).unwrap()
}

fn e(text: &str) -> String {
    parse("Dockerfile", text).unwrap_err().to_string()
}

#[test]
fn seed_shape_with_comments_and_continuations() {
    let d = p("# syntax=docker/dockerfile:1\n# a comment\nFROM busybox AS base\nENV A=1 \\\n    B=2\nRUN echo a && \\\n# inside\n\n    echo b\nWORKDIR /app\nCOPY . .\nCMD [\"sh\", \"-c\", \"echo hi\"]\n");
    let kws: Vec<&str> = d.instructions.iter().map(|i| i.keyword.as_str()).collect();
    assert_eq!(kws, ["FROM", "ENV", "RUN", "WORKDIR", "COPY", "CMD"]);
    assert_eq!(d.instructions[1].args, Args::Text("A=1     B=2".into()));
    assert_eq!(d.instructions[2].line, 6);
    assert_eq!(
        d.instructions[2].args,
        Args::Text("echo a &&     echo b".into())
    );
    assert_eq!(d.instructions[3].line, 10);
    assert_eq!(
        d.instructions[5].args,
        Args::Json(vec!["sh".into(), "-c".into(), "echo hi".into()])
    );
}

#[test]
fn escape_directive() {
    let d = p("# escape=`\nFROM busybox\nRUN echo a `\n  b\nCOPY a\\b /x\n");
    assert_eq!(d.escape, '`');
    assert_eq!(d.instructions[1].args, Args::Text("echo a   b".into()));
    assert_eq!(d.instructions[2].args, Args::Text("a\\b /x".into()));
    // After an instruction, a directive is a comment.
    let d = p("FROM busybox\n# escape=`\nRUN echo \\\n x\n");
    assert_eq!(d.escape, '\\');
    assert_eq!(d.instructions[1].args, Args::Text("echo  x".into()));
}

#[test]
fn flags_and_heredocs() {
    let d = p("FROM busybox\nCOPY --from=build --chown=1:2 /a /b\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-\"END\" /f\n\thello $X\n\tEND\nRUN echo done\n");
    let c = &d.instructions[1];
    assert_eq!(c.flags, ["--from=build", "--chown=1:2"]);
    assert_eq!(c.args, Args::Text("/a /b".into()));
    let r = &d.instructions[2];
    assert_eq!(r.heredocs.len(), 1);
    assert_eq!(r.heredocs[0].content, "echo one\necho two\n");
    assert!(r.heredocs[0].expand);
    let c = &d.instructions[3];
    assert_eq!(c.heredocs[0].name, "END");
    assert_eq!(c.heredocs[0].content, "hello $X\n");
    assert!(!c.heredocs[0].expand);
    assert_eq!(d.instructions[4].line, 10);
}

#[test]
fn errors_name_file_line_and_instruction() {
    assert_eq!(
        e("FROM busybox\nRUN true\n\n\n\n\nRUNN x\n"),
        "Dockerfile:7: unknown instruction: RUNN"
    );
    assert_eq!(
        e("FROM busybox\nENV\n"),
        "Dockerfile:2: ENV requires at least one argument"
    );
    assert_eq!(
        e("FROM busybox\nCOPY --bogus=1 a b\n"),
        "Dockerfile:2: COPY: unknown flag: --bogus"
    );
    assert_eq!(
        e("FROM busybox\nCOPY a\n"),
        "Dockerfile:2: COPY requires at least two arguments, but only 1 provided"
    );
    assert!(e("FROM busybox\nSHELL sh -c\n").contains("JSON form"));
    assert!(e("RUN true\n").contains("Dockerfile:1: RUN: no build stage"));
    assert!(e("FROM busybox\nRUN <<EOF\necho\n").contains("unterminated heredoc"));
    assert!(e("\n# only comments\n").contains("cannot be empty"));
    assert!(e("FROM busybox\nONBUILD FROM x\n").contains("isn't allowed"));
    assert!(e("# escape=x\nFROM busybox\n").contains("invalid escape"));
    // ARG may come first.
    assert_eq!(p("ARG V=1\nFROM busybox:$V\n").instructions.len(), 2);
}
