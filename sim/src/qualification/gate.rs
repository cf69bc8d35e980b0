//! The server's defence against clients that hold connections without using them: a bounded
//! number of connections still in their TLS handshake, and a bounded number per client
//! certificate. Past a bound the *oldest* connection of that kind is closed, not the new one:
//! a flood of idle sockets then costs its own sockets, and a well-behaved client arriving
//! during the flood (its handshake takes milliseconds) still gets through. Limits come from the
//! profile's `[server]` section.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Default)]
struct Slots {
    next: u64,
    /// Oldest first.
    open: VecDeque<(u64, Arc<Notify>)>,
}

#[derive(Default)]
pub struct Gate {
    handshakes: Mutex<Slots>,
    clients: Mutex<HashMap<String, Slots>>,
}

/// A connection's place in the gate; leaving it (drop) frees the place.
pub struct Ticket {
    gate: Arc<Gate>,
    /// `None`: a handshake; `Some(client)`: an open connection of that client.
    client: Option<String>,
    id: u64,
    evicted: Arc<Notify>,
}

impl Ticket {
    /// Completes when a newer connection has taken this one's place.
    pub async fn evicted(&self) {
        self.evicted.notified().await;
    }
}

fn enter(slots: &mut Slots, max: usize) -> (u64, Arc<Notify>) {
    let id = slots.next;
    slots.next += 1;
    let n = Arc::new(Notify::new());
    slots.open.push_back((id, n.clone()));
    while slots.open.len() > max.max(1) {
        if let Some((_, oldest)) = slots.open.pop_front() {
            // a permit: the connection ends even if it is not waiting yet
            oldest.notify_one();
        }
    }
    (id, n)
}

fn leave(slots: &mut Slots, id: u64) {
    slots.open.retain(|(i, _)| *i != id);
}

impl Gate {
    pub fn handshake(self: &Arc<Self>, max: usize) -> Ticket {
        let (id, evicted) = enter(
            &mut self.handshakes.lock().unwrap_or_else(|e| e.into_inner()),
            max,
        );
        Ticket {
            gate: self.clone(),
            client: None,
            id,
            evicted,
        }
    }

    pub fn client(self: &Arc<Self>, client: &str, max: usize) -> Ticket {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let (id, evicted) = enter(clients.entry(client.to_owned()).or_default(), max);
        Ticket {
            gate: self.clone(),
            client: Some(client.to_owned()),
            id,
            evicted,
        }
    }

    /// Connections of each kind now open (handshakes, and all clients together).
    pub fn counts(&self) -> (usize, usize) {
        let h = self
            .handshakes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .open
            .len();
        let c = self
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|s| s.open.len())
            .sum();
        (h, c)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        match &self.client {
            None => leave(
                &mut self
                    .gate
                    .handshakes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
                self.id,
            ),
            Some(c) => {
                let mut clients = self.gate.clients.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(s) = clients.get_mut(c) {
                    leave(s, self.id);
                    if s.open.is_empty() {
                        clients.remove(c);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_limit_the_oldest_gives_way() {
        let gate = Arc::new(Gate::default());
        let first = gate.handshake(2);
        let second = gate.handshake(2);
        assert_eq!(gate.counts(), (2, 0));
        let third = gate.handshake(2);
        // the oldest is told to go; the newer ones stay
        first.evicted().await;
        let zero = std::time::Duration::ZERO;
        assert!(tokio::time::timeout(zero, second.evicted()).await.is_err());
        assert_eq!(gate.counts(), (2, 0));
        drop(first);
        drop(second);
        drop(third);
        assert_eq!(gate.counts(), (0, 0));
        let a = gate.client("1312345678", 1);
        let b = gate.client("1312345679", 1);
        assert_eq!(gate.counts(), (0, 2), "each client has its own limit");
        let a2 = gate.client("1312345678", 1);
        a.evicted().await;
        drop((a, a2, b));
        assert_eq!(gate.counts(), (0, 0));
    }
}
