package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// handle answers a conforming request from the in-memory state. The lock
// is held.
func (s *Server) handle(op string, params []string, w http.ResponseWriter, r *http.Request, body []byte) {
	owner, repo := params[0], params[1]
	base := fmt.Sprintf("%s/repos/%s/%s", s.URL, owner, repo)
	html := fmt.Sprintf("https://github.com/%s/%s", owner, repo)
	switch op {
	case OpUploadSARIF:
		s.uploadSARIF(w, base, body)
	case OpGetSARIF:
		s.getSARIF(w, base, params[2])
	case OpListComments:
		s.listComments(w, r, html, atoi(params[2]))
	case OpCreateComment:
		s.createComment(w, html, atoi(params[2]), body)
	case OpUpdateComment:
		s.updateComment(w, html, int64(atoi(params[2])), body)
	case OpListFiles:
		s.listFiles(w, r, html, atoi(params[2]))
	case OpCreateReview:
		s.createReview(w, html, atoi(params[2]), body)
	default: // check runs: accepted, not modelled
		writeJSON(w, http.StatusCreated, map[string]any{"id": 1, "status": "completed"})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (s *Server) uploadSARIF(w http.ResponseWriter, base string, body []byte) {
	var req struct {
		CommitSHA   string `json:"commit_sha"`
		Ref         string `json:"ref"`
		Sarif       string `json:"sarif"`
		CheckoutURI string `json:"checkout_uri"`
		ToolName    string `json:"tool_name"`
		StartedAt   string `json:"started_at"`
	}
	json.Unmarshal(body, &req)
	data, err := decodeSARIF(req.Sarif)
	if err != nil {
		s.t.Errorf("githubtest: upload: %v", err)
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.StartedAt != "" && !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(req.StartedAt) {
		s.t.Errorf("githubtest: upload: started_at %q is not YYYY-MM-DDTHH:MM:SSZ", req.StartedAt)
	}
	s.nextID++
	u := &Upload{ID: fmt.Sprintf("47177e22-%d", s.nextID), CommitSHA: req.CommitSHA, Ref: req.Ref,
		CheckoutURI: req.CheckoutURI, ToolName: req.ToolName, StartedAt: req.StartedAt, SARIF: data}
	s.uploads = append(s.uploads, u)
	writeJSON(w, http.StatusAccepted, map[string]any{"id": u.ID, "url": base + "/code-scanning/sarifs/" + u.ID})
}

func (s *Server) getSARIF(w http.ResponseWriter, base, id string) {
	for _, u := range s.uploads {
		if u.ID != id {
			continue
		}
		statuses := s.Statuses
		if len(statuses) == 0 {
			statuses = []string{"pending", "complete"}
		}
		st := statuses[min(u.checks, len(statuses)-1)]
		u.checks++
		resp := map[string]any{"processing_status": st, "analyses_url": base + "/code-scanning/analyses?sarif_id=" + id}
		if st == "failed" {
			resp["errors"] = s.ProcessingErrors
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// page slices items per the per_page and page parameters and sets GitHub's
// Link header.
func page[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	perPage, pageNo := 30, 1
	if v := r.URL.Query().Get("per_page"); v != "" {
		perPage = min(max(atoi(v), 1), 100)
	}
	if v := r.URL.Query().Get("page"); v != "" {
		pageNo = max(atoi(v), 1)
	}
	last := max((len(items)+perPage-1)/perPage, 1)
	if pageNo < last {
		next := *r.URL
		q := next.Query()
		q.Set("page", strconv.Itoa(pageNo+1))
		q.Set("per_page", strconv.Itoa(perPage))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next", <http://%s%s?per_page=%d&page=%d>; rel="last"`,
			r.Host, next.RequestURI(), r.Host, r.URL.Path, perPage, last))
	}
	from := min((pageNo-1)*perPage, len(items))
	return items[from:min(from+perPage, len(items))]
}

func (s *Server) commentJSON(html string, c *Comment) map[string]any {
	return map[string]any{
		"id": c.ID, "node_id": "IC_" + strconv.FormatInt(c.ID, 10), "body": c.Body,
		"html_url": fmt.Sprintf("%s/pull/%d#issuecomment-%d", html, c.Issue, c.ID),
		"user":     map[string]any{"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
	}
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, html string, issue int) {
	var mine []*Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			mine = append(mine, c)
		}
	}
	out := []map[string]any{}
	for _, c := range page(w, r, mine) {
		out = append(out, s.commentJSON(html, c))
	}
	writeJSON(w, http.StatusOK, out)
}

// commentBody decodes {"body": …} and enforces GitHub's length limit.
func (s *Server) commentBody(w http.ResponseWriter, body []byte) (string, bool) {
	var req struct {
		Body string `json:"body"`
	}
	json.Unmarshal(body, &req)
	if n := utf8.RuneCountInString(req.Body); n > MaxCommentChars {
		s.t.Errorf("githubtest: comment body has %d characters, over GitHub's %d", n, MaxCommentChars)
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: body is too long (maximum is 65536 characters)")
		return "", false
	}
	return req.Body, true
}

func (s *Server) createComment(w http.ResponseWriter, html string, issue int, body []byte) {
	text, ok := s.commentBody(w, body)
	if !ok {
		return
	}
	writeJSON(w, http.StatusCreated, s.commentJSON(html, s.addComment(issue, text)))
}

func (s *Server) updateComment(w http.ResponseWriter, html string, id int64, body []byte) {
	text, ok := s.commentBody(w, body)
	if !ok {
		return
	}
	for _, c := range s.comments {
		if c.ID == id {
			c.Body = text
			c.Edits++
			writeJSON(w, http.StatusOK, s.commentJSON(html, c))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request, html string, pr int) {
	out := []map[string]any{}
	for _, f := range page(w, r, s.files[pr]) {
		out = append(out, map[string]any{
			"sha": "bbcd538c8e72b8c175046e27cc8f907076331401", "filename": f.Filename, "status": f.Status,
			"additions": strings.Count(f.Patch, "\n+"), "deletions": strings.Count(f.Patch, "\n-"), "changes": 0,
			"blob_url": html + "/blob/x/" + f.Filename, "raw_url": html + "/raw/x/" + f.Filename,
			"contents_url": html + "/contents/" + f.Filename, "patch": f.Patch,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createReview(w http.ResponseWriter, html string, pr int, body []byte) {
	var req struct {
		CommitID string `json:"commit_id"`
		Body     string `json:"body"`
		Event    string `json:"event"`
		Comments []struct {
			Path      string `json:"path"`
			Position  int    `json:"position"`
			Body      string `json:"body"`
			Line      int    `json:"line"`
			Side      string `json:"side"`
			StartLine int    `json:"start_line"`
			StartSide string `json:"start_side"`
		} `json:"comments"`
	}
	json.Unmarshal(body, &req)
	rev := Review{PR: pr, CommitID: req.CommitID, Body: req.Body, Event: req.Event}
	for _, c := range req.Comments {
		if msg := s.checkReviewComment(pr, c.Path, c.Position, c.Line, c.StartLine, c.Side); msg != "" {
			s.t.Errorf("githubtest: review comment on %s line %d: %s", c.Path, c.Line, msg)
			writeError(w, http.StatusUnprocessableEntity, "Unprocessable Entity: "+msg)
			return
		}
		rev.Comments = append(rev.Comments, ReviewComment{Path: c.Path, Line: c.Line, StartLine: c.StartLine,
			Side: c.Side, StartSide: c.StartSide, Body: c.Body})
	}
	if s.HeadSHA != "" && req.CommitID != s.HeadSHA {
		s.t.Errorf("githubtest: review commit_id %q, want the PR head %q", req.CommitID, s.HeadSHA)
	}
	if (req.Event == "COMMENT" || req.Event == "REQUEST_CHANGES") && req.Body == "" {
		s.t.Errorf("githubtest: a %s review needs a body", req.Event)
	}
	s.reviews = append(s.reviews, rev)
	s.nextID++
	writeJSON(w, http.StatusOK, map[string]any{"id": s.nextID, "body": req.Body, "state": "COMMENTED",
		"commit_id": req.CommitID, "html_url": fmt.Sprintf("%s/pull/%d#pullrequestreview-%d", html, pr, s.nextID)})
}

// checkReviewComment applies GitHub's rules: line (with side) or position,
// not both, and every line inside the file's diff.
func (s *Server) checkReviewComment(pr int, path string, position, line, startLine int, side string) string {
	if position != 0 && line != 0 {
		return "position and line are mutually exclusive"
	}
	if line == 0 {
		return "only line-based comments are expected"
	}
	if side != "RIGHT" {
		return fmt.Sprintf("side %q, want RIGHT (new code)", side)
	}
	var lines map[int]bool
	for _, f := range s.files[pr] {
		if f.Filename == path && f.Patch != "" {
			lines = diffLines(f.Patch)
		}
	}
	if lines == nil {
		return "pull_request_review_thread.path: the file is not part of the diff"
	}
	for n := max(startLine, 1); n <= line; n++ {
		if startLine == 0 && n < line {
			continue
		}
		if !lines[n] {
			return fmt.Sprintf("pull_request_review_thread.line: line %d must be part of the diff", n)
		}
	}
	return ""
}

var hunk = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@`)

// diffLines is an independent reading of a patch's new-side lines.
func diffLines(patch string) map[int]bool {
	out := map[int]bool{}
	n, left := 0, 0
	for _, l := range strings.Split(patch, "\n") {
		if m := hunk.FindStringSubmatch(l); m != nil {
			n = atoi(m[1])
			left = 1
			if m[2] != "" {
				left = atoi(m[2])
			}
			continue
		}
		if left <= 0 || l == "" {
			continue
		}
		if l[0] == '+' || l[0] == ' ' {
			out[n] = true
			n++
			left--
		}
	}
	return out
}
