package http

import (
	nethttp "net/http"
	"net/http/pprof"

	"github.com/labstack/echo/v4"
)

// EnableProfiling serves Go's profiler under /debug/pprof/. It is off unless the operator
// asks for it (DEBUG_PPROF): profiles reveal internals and cost CPU while taken.
func (s *Server) EnableProfiling() {
	g := s.echo.Group("/debug/pprof")
	g.GET("/", echo.WrapHandler(nethttp.HandlerFunc(pprof.Index)))
	g.GET("/cmdline", echo.WrapHandler(nethttp.HandlerFunc(pprof.Cmdline)))
	g.GET("/profile", echo.WrapHandler(nethttp.HandlerFunc(pprof.Profile)))
	g.GET("/symbol", echo.WrapHandler(nethttp.HandlerFunc(pprof.Symbol)))
	g.POST("/symbol", echo.WrapHandler(nethttp.HandlerFunc(pprof.Symbol)))
	g.GET("/trace", echo.WrapHandler(nethttp.HandlerFunc(pprof.Trace)))
	g.GET("/:profile", func(c echo.Context) error {
		pprof.Handler(c.Param("profile")).ServeHTTP(c.Response(), c.Request())
		return nil
	})
}
