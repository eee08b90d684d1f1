package server

import "sync"

type session struct {
	token string
	csrf  string
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func (s *Server) consoleRoutes() {}
