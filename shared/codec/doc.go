// Package codec is Tandem's lossless screen codec: it turns a sequence of captured BGRA frames into packets,
// and packets back into a framebuffer that equals the captured frame bit for bit (unless the sharer lets
// pictures be coarse while they move, see below).
//
// It is pure Go and does no I/O. An [Encoder] holds the state of one viewer (what that viewer's framebuffer
// holds, plus a small cache of tiles it has seen); a [Decoder] holds the viewer's side of the same state. The
// packets of one encoder form a stateful stream: each packet but a key frame refers to what the decoder built
// from the packets before it, so they must all be delivered, in order (the screen stream is reliable). The
// sharer may skip capturing a frame, never a packet. [Encoder.Reset] makes the next packet a key frame, which
// a freshly created or reset [Decoder] can start from.
//
// [Encoder.Encode] copies the changed pixels it needs; [Encoder.EncodeRetained] keeps the caller's frame as the
// viewer's state instead (the caller alternates two capture buffers), which saves that copy.
//
// # How a frame is coded
//
// The frame is cut into 64×64 tiles (the last column and row may be smaller). Tiles equal to the viewer's
// are not sent. Every changed tile is coded with the first of these that applies:
//
//   - COPY: the tile equals a tile-sized block of the viewer's framebuffer at some offset (an identical tile
//     elsewhere on screen, found by content hash, or the whole tile moved by a detected motion vector);
//   - CACHE: the tile equals a tile the viewer had before and that the encoder kept in its tile store;
//   - SOLID: one colour;
//   - RUNS: the tile's pixels in raster order as runs, each run either copied from the viewer's framebuffer
//     displaced by one of the frame's motion vectors (scrolls and moved windows; vector 0 is "unchanged") or
//     literal. Literal pixels are coded either as "synthetic" (text and flat UI: B,G,R bytes into a zstd
//     stream, which finds repeated glyphs) or as "natural" (photos, noisy wallpapers: each channel predicted
//     from its causal neighbours inside the tile, the zigzagged residual put in one of 16 streams chosen by the
//     local residual activity, each stream Huffman-coded with huff0). A tile is natural when fewer than half
//     of its pixels equal their left neighbour; on a delta frame a natural tile's literals are coded
//     "planar" instead (each channel minus the mean of its left and upper neighbours, Huffman-coded in the
//     first natural stream), which costs much less CPU.
//
// A playing video changes every pixel of its tiles at every frame, and a few of them equal the frame before by
// chance. Copies shorter than four pixels are therefore not taken (as literals they cost less than the runs
// they would cut), so that such a tile's rows are all literal; a tile that was photo-like and all literal when
// it last changed is coded in one pass (planar residuals, with the photo test counted as they go and taken back
// if it fails), and in a frame without motion it is searched pixel by pixel for what stayed only one frame in
// eight. On wanbench's natural video (a 1280×720 player on a 1080p desktop, `make bench-codec`) that is about a
// third of x264-lossless's CPU time at a better ratio (framebench -x264 prints both).
//
// Motion vectors are found by voting: fingerprints of the changed tiles' 64-pixel row segments are looked up
// among the viewer's row segments, and, for a sample of rows that found nothing, the last frame's sideways
// vectors are tried and, unless they explain most of the sample, a window is rolled along the row across
// every column offset (a dragged window); displacements with enough votes become the frame's vectors, and
// every pixel they copy is checked byte for byte.
//
// The changed tiles of a key frame, or of a delta frame with very many changed rows, are split into two parts,
// coded (and decoded) concurrently, each with its own streams; other frames are one part, as a second one
// costs CPU time for little gain. Parts are coded in chunks of about 192 KiB of literals so that the buffers
// stay in cache.
//
// # Coarse pictures
//
// On a slow link a scrolled page of photographs costs more than the link carries. [Encoder.SetCoarse] lets
// delta frames code the literal pixels of photo-like tiles coarse: each colour byte keeps its high bits and the
// middle of what the low ones could be (step 16: within 8 of the exact value, about 35 dB, and about a third
// fewer bytes on a scroll). The bitstream is the same: the encoder codes the coarse values losslessly, and
// keeps, per pixel, whether (and at what step) the viewer's pixel is coarse. Its decisions (changed tiles,
// motion, copies) still compare the new frame with the last exact one, so a coarse picture that moves stays a
// copy; since a coarse pixel is always its exact value quantized, the encoder knows what the viewer holds there,
// and literals predicted from it are predicted from that. A tile that held coarse pixels is never taken back
// from the tile store. After [Encoder.Refine] (the screen is still), the next frame codes every tile holding coarse
// pixels again, whole and exact. The packet's flag bit 2 says that the viewer's picture is coarse in places after it
// ([Decoder.Exact]).
//
// # Packet layout
//
// Integers are unsigned LEB128 varints (uv) or zigzag varints (sv) unless a size is given.
//
//	magic     1 byte  'T'
//	version   1 byte  1
//	flags     1 byte  bit 0 key frame, bit 1 no change (the packet carries nothing else below seq and size),
//	                  bit 2 the picture is coarse in places once this packet is decoded
//	seq       uv      frame number; a key frame may carry any, every other packet carries the previous + 1
//	                  (a no-change packet carries the previous one unchanged)
//	width     uv      frame size in pixels; must equal the decoder's unless key
//	height    uv
//	ntiles    uv      number of changed tiles
//	tiles     ntiles × uv  changed tile indexes (raster order over tiles) as gaps: the first index, then each
//	                  index minus the previous one minus one
//	nvec      1 byte  number of motion vectors (≤ 15)
//	vectors   nvec × (sv dx, sv dy)  pixel (x, y) of a run with vector k is copied from (x+dx, y+dy) of the
//	                  viewer's framebuffer as it was before this packet
//	nparts    1 byte  1 or 2
//	parts     nparts × part
//
//	part:
//	  count   uv      number of the changed tiles that this part codes (the parts take them in order)
//	  chunks  chunks until the part's tiles are covered
//
//	chunk:
//	  count   uv      number of the part's tiles (in order) that this chunk codes, at least 1
//	  streams 18 × stream: ops, synthetic, then the 16 natural-residual streams by context
//
//	stream:
//	  method  1 byte  0 empty, 1 raw, 2 zstd frame, 3 huff0 4X block with its table (natural streams only,
//	                  at most huff0.BlockSizeMax bytes decoded), 4 one byte repeated
//	  rawlen  uv      decoded length (0 for empty)
//	  [complen uv, complen bytes]  for raw, zstd and huff0; for method 4 a single byte follows instead
//
// The ops stream holds, for each tile of the chunk in order, a mode byte and its operands:
//
//	0 SOLID   4 bytes B,G,R,A
//	1 CACHE   uv slot in the tile store
//	2 COPY    sv dx, sv dy: the whole tile from the viewer's framebuffer at that displacement
//	3 RUNS    1 flags byte (bit 0: literal pixels are natural, bit 1: literal alpha is sent, else it is 255,
//	          bit 2: literal pixels are planar; bits 0 and 2 are not both set, the others are 0), then uv
//	          values (length<<4 | ref) until the tile's pixels are covered; ref 0 is literal, ref k copies
//	          with vector k-1
//
// Synthetic literal pixels take 3 bytes (B,G,R) of the synthetic stream, 4 (B,G,R,A) when alpha is sent.
// Planar literal pixels take 3 bytes of the first natural stream (context 0): each of B, G, R minus its
// prediction (mod 256) from the tile's pixels as decoded so far (planarPred in natural.go: the rounded mean
// of the left and upper neighbours), and, when alpha is sent, the alpha byte from the synthetic stream. The
// encoder uses them for photo-like literals of delta frames, where they cost far less CPU than natural coding.
// Natural literal pixels take one residual byte per channel B,G,R from the context streams and, when alpha is
// sent, the alpha byte from the synthetic stream. The predictor and the context rule are in natural.go;
// encoder and decoder share them.
//
// # Tile store
//
// When a frame changes at most [storeMaxChanged] tiles, the viewer's content of every changed tile (before the
// change) is put in the tile store, a ring of [storeSlots] slots, in the order of the changed tiles; both sides
// do this after the packet is decoded. A CACHE op names a slot. A key frame empties the store.
//
// # Limits
//
// The decoder rejects (with an error wrapping [ErrCorrupt]) any packet whose lengths, indexes, vectors or
// stream sizes are inconsistent, whose frame exceeds [DecoderOptions.MaxPixels], or that does not continue
// its stream; it never reads outside its framebuffer or the packet, and its allocations are bounded by the
// frame size. After an error the decoder needs a key frame.
package codec
