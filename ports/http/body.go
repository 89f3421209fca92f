package http

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// readBody reads the body (bounded by the BodyLimit middleware) after checking that it is
// sent as the API reads it: uncompressed, and, when there is a body, declared as JSON. An
// empty body needs no Content-Type, so commands whose body is optional can go without.
func readBody(c echo.Context) ([]byte, error) {
	// Checked before reading: an encoded body is refused whatever it holds.
	if coding := contentCoding(c.Request().Header); coding != "" {
		// RFC 9110 section 15.5.16: a 415 for a content coding names those accepted.
		c.Response().Header().Set("Accept-Encoding", "identity")
		return nil, newProblem(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q is not supported; send the body uncompressed (identity)", truncate(coding, 64)))
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, newProblem(http.StatusBadRequest, "could not read the request body: "+err.Error())
	}
	if len(body) == 0 {
		return body, nil
	}
	switch ct := c.Request().Header.Get(echo.HeaderContentType); {
	case ct == "":
		return nil, newProblem(http.StatusUnsupportedMediaType, "the request body has no Content-Type; send it as application/json")
	case !isJSON(ct):
		return nil, newProblem(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not supported; send application/json", truncate(ct, 64)))
	}
	return body, nil
}

// isJSON accepts application/json and any structured +json type (RFC 6839).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || (strings.HasSuffix(mt, "+json") && len(mt) > len("+json")))
}

// contentCoding is the first content coding the request declares other than identity
// (which means none), or "" when the body is sent as it is.
func contentCoding(h http.Header) string {
	for _, v := range h.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(v, ",") {
			if coding = strings.TrimSpace(coding); coding != "" && !strings.EqualFold(coding, "identity") {
				return coding
			}
		}
	}
	return ""
}
